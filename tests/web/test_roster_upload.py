"""The roster upload: a dry run reports every bad row and writes nothing; the import then
writes the good rows, logged under the administrator's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from tests.fixtures.browser import sign_in
from tests.fixtures.roster import chinese_csv_rows
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

GBK_CSV = "\r\n".join(chinese_csv_rows()).encode("gbk")


@pytest.fixture
def engine(users: str) -> Iterator[Engine]:
    engine = make_engine(users)
    yield engine
    engine.dispose()


def people(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(select(PersonRow.person_id)))


def upload(web: WebServer, content: bytes, name: str, **params: str) -> Any:
    with web.client("admin") as admin:
        files = {"file": (name, content, "application/octet-stream")}
        return admin.post("/api/v1/roster/import", params=params, files=files)


def test_a_dry_run_reports_each_bad_row_and_writes_nothing(web: WebServer, engine: Engine) -> None:
    response = upload(web, GBK_CSV, "名单.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["written"], report["inserted"]) == (True, False, 4)
    errors = {(e["line"], e["column"]): e["reason"] for e in report["errors"]}
    assert errors[6, "身份证号"] == "ID number check digit is wrong"
    assert errors[7, "类别"].startswith("unknown kind")
    assert report["bad_rows"] == 8
    assert "2021001" not in people(engine)


def test_the_import_writes_the_good_rows_under_the_admins_name(
    web: WebServer, engine: Engine
) -> None:
    response = upload(web, GBK_CSV, "roster.csv", dry_run="false")
    assert response.status_code == 200, response.text
    assert (response.json()["written"], response.json()["inserted"]) == (True, 4)
    assert {"2021001", "2021002", "T0001", "F0001"} <= people(engine)
    with Session(engine) as session:
        [row] = session.scalars(select(AuditLogRow).where(AuditLogRow.action == "roster.import"))
    assert row.actor == "admin"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"id,name\n1,a\n", "roster.txt", "bad_roster_file"),
        (b"PK\x03\x04 not really a workbook", "roster.xlsx", "invalid_input"),
        (b"", "roster.xls", "bad_roster_file"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    web: WebServer, content: bytes, name: str, code: str
) -> None:
    response = upload(web, content, name)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code


def test_the_page_checks_then_imports(
    web: WebServer, engine: Engine, new_page: Any, tmp_path: Path
) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(GBK_CSV)
    page = new_page()
    sign_in(page, web, "admin", then="/admin/roster", live=False)
    assert page.is_disabled("#roster-import")
    page.set_input_files("#roster-file", str(path))
    page.click("#roster-check")
    page.wait_for_selector("#roster-report[data-state=checked]")
    assert page.locator("#roster-errors tbody tr").count() >= 8
    assert "2021001" not in people(engine)
    page.click("#roster-import")
    page.wait_for_selector("#roster-report[data-state=imported]")
    assert "imported: 4 new" in page.inner_text("#roster-summary")
    assert "2021001" in people(engine)
