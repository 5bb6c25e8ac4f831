"""The daily report page and /api/v1/reports/daily: figures that match the entries, and
the CSV, XLSX and PDF downloads; each report asked for is logged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow
from tests.fixtures.browser import sign_in
from tests.fixtures.web_seed import entry_for
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def day(web: WebServer, users: str, site: str) -> str:
    """Today (site time) with three admissions at north-1 and a denial at south-2."""
    records = [
        *(entry_for(site, "north-1", "admit", person_id=f"S{i}") for i in range(3)),
        entry_for(site, "south-2", "deny"),
    ]
    engine = make_engine(users)
    try:
        with Session(engine) as session, session.begin():
            repo.insert_entries(session=session, records=records)
    finally:
        engine.dispose()
    return datetime.now(UTC).astimezone(TZ).date().isoformat()


def logged(db_url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(AuditLogRow).where(AuditLogRow.action == "report.daily"))
            return [(r.actor, r.target, r.params_json) for r in rows]
    finally:
        engine.dispose()


def test_the_figures_are_those_of_the_entries(web: WebServer, day: str, users: str) -> None:
    with web.client("officer") as officer:
        response = officer.get("/api/v1/reports/daily", params={"date": day})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["entries"] == 4
    assert report["by_decision"]["admit"] == 3
    assert report["denials"] == 1
    assert report["zero"] is True  # passages, but no new case: a zero report (零报告)
    assert (report["census"]["on_campus"], report["census"]["new_cases"]) == (3, 0)
    [(actor, target, _params)] = logged(users)
    assert actor == "officer"
    assert target.endswith(day)


def test_a_day_without_entries_is_a_zero_report(web: WebServer, day: str) -> None:
    with web.client("auditor") as auditor:
        report = auditor.get("/api/v1/reports/daily", params={"date": "2026-01-01"}).json()
    assert (report["entries"], report["zero"]) == (0, True)


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "9999-12-31", "1999-12-31"])
def test_bad_dates_are_refused(web: WebServer, value: str) -> None:
    with web.client("admin") as admin:
        api = admin.get("/api/v1/reports/daily", params={"date": value})
        page = admin.get("/reports", params={"date": value})
    assert api.status_code == 422
    assert page.status_code == 422


def test_downloads_in_each_format(web: WebServer, day: str, users: str) -> None:
    with web.client("admin") as admin:
        got = {
            fmt: admin.get("/api/v1/reports/daily", params={"date": day, "format": fmt})
            for fmt in ("csv", "xlsx", "pdf")
        }
    for fmt, response in got.items():
        assert response.status_code == 200, (fmt, response.text[:200])
        assert f"daily-{web.settings.site}-{day}.{fmt}" in response.headers["content-disposition"]
    assert got["pdf"].content.startswith(b"%PDF")
    text = got["csv"].content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))
    workbook = openpyxl.load_workbook(io.BytesIO(got["xlsx"].content), read_only=True)
    assert workbook.sheetnames
    assert sorted(p for _a, _t, p in logged(users)) == sorted(
        f'{{"format": "{fmt}"}}' for fmt in ("csv", "xlsx", "pdf")
    )


def test_the_page_shows_the_day_and_links_the_files(
    web: WebServer, day: str, new_page: Any
) -> None:
    page = new_page()
    sign_in(page, web, "auditor", then="/reports", live=False)
    page.fill("#report-date", day)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector(f"#report[data-day='{day}']")
    assert "3" in page.inner_text("#gate-totals")
    with page.expect_download() as info:
        page.click("#report-pdf")
    assert info.value.path().read_bytes().startswith(b"%PDF")
