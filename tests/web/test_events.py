"""An event's visitor list (issue 16, build 5): an XLSX upload checked whole, stored as one
batch, approved in one action by the unit's approver only; bombs refused unread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.storage.engine import make_engine
from services.storage.models import AppointmentRow
from tests.fixtures.campus import Campus
from tests.fixtures.roster import GOOD
from tests.fixtures.web_seed import UNIT, seed_units
from tests.fixtures.web_server import WebServer
from tests.fixtures.xlsx_bombs import merged, whole_sheet_dimension

pytestmark = pytest.mark.mqtt

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["姓名", "手机", "证件号码", "车牌"]


@pytest.fixture
def office(
    make_server: Callable[..., WebServer], users: str, campus: Campus
) -> Iterator[tuple[WebServer, Callable[[], int]]]:
    seed_units(users)
    engine = make_engine(users)

    def stored() -> int:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(AppointmentRow)) or 0

    yield make_server(users, keys_dir=str(campus.keys_dir)), stored
    engine.dispose()


def workbook(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def form(unit: str = UNIT) -> dict[str, Any]:
    now = datetime.now(UTC)
    until = now + timedelta(hours=8)
    return {"unit": unit, "purpose": "学术会议 <b>", "valid_from": now.isoformat(),
            "valid_until": until.isoformat()}  # fmt: skip


def upload(client: Any, path: Path, unit: str = UNIT) -> Any:
    with path.open("rb") as file:
        return client.post("/api/v1/unit/events", data=form(unit),
                           files={"file": ("list.xlsx", file, XLSX)})  # fmt: skip


GUESTS = [["张三", "13800000001", GOOD[0], ""], ["李四", "13800000002", GOOD[1], "京A12345"],
          ["王五", "13800000003", GOOD[2], ""]]  # fmt: skip


def test_a_list_is_stored_as_one_batch_and_approved_in_one_action(
    office: tuple[WebServer, Callable[[], int]], tmp_path: Path
) -> None:
    web, stored = office
    path = workbook(tmp_path / "guests.xlsx", GUESTS)
    with web.client("infoofficer-cs") as officer:
        made = upload(officer, path)
    with web.client("approver-ph") as physics:
        theirs = upload(physics, path)
        approve_other = physics.post(f"/api/v1/unit/events/{made.json()['batch']}/approve")
    with web.client("approver-cs") as approver:
        approved = approver.post(f"/api/v1/unit/events/{made.json()['batch']}/approve")
        listed = approver.get("/api/v1/unit/appointments").json()
    assert made.status_code == 200, made.text
    assert (made.json()["rows"], made.json()["written"]) == (3, True)
    assert (theirs.status_code, theirs.json()["error"]) == (403, "forbidden_unit")
    assert (approve_other.status_code, approve_other.json()["error"]) == (403, "refused")
    assert approved.status_code == 200, approved.text
    assert len(approved.json()["approved"]) == 3
    assert {p["appointment"]["status"] for p in listed} == {"approved"}
    assert {p["plate"] for p in listed} == {"", "京A12345"}
    assert stored() == 3


def test_one_bad_row_refuses_the_list_with_every_reason_and_stores_nothing(
    office: tuple[WebServer, Callable[[], int]], tmp_path: Path
) -> None:
    web, stored = office
    bad = [*GUESTS, ["<script>x</script>", "13800000004", GOOD[3], ""],
           ["赵六", "12", "110101199001011234", "京A1"]]  # fmt: skip
    with web.client("approver-cs") as approver:
        refused = upload(approver, workbook(tmp_path / "bad.xlsx", bad))
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert (body["written"], body["batch"]) == (False, "")
    assert sorted({e["line"] for e in body["errors"]}) == [5, 6]
    assert stored() == 0


@pytest.mark.parametrize("bomb", [whole_sheet_dimension, lambda p: merged(p, "A5:XFD1048576")])
def test_an_xlsx_bomb_is_refused_unread(
    office: tuple[WebServer, Callable[[], int]], tmp_path: Path, bomb: Callable[[Path], Path]
) -> None:
    web, stored = office
    with web.client("approver-cs") as approver:
        refused = upload(approver, bomb(tmp_path / "bomb.xlsx"))
    assert (refused.status_code, refused.json()["error"]) == (422, "roster_too_large")
    assert stored() == 0
