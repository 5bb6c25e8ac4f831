"""A unit's 信息员 enters their own class's daily check-ins (晨午检), and nobody else's:
through the JSON API (with another unit's people, alone, inside a class batch and as
hostile text) and through the page in Chromium."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage.engine import make_engine
from services.storage.health_models import CheckinRow
from services.storage.models import IsolationCaseRow
from tests.fixtures.browser import sign_in
from tests.fixtures.classes import seed_classes
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

HOSTILE = ["A001' OR '1'='1", "A001; DROP TABLE checkins", "<script>alert(1)</script>",
           "../B001", "B001\u0000", "Ａ001", "*", "%"]  # fmt: skip


def stored(db_url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(CheckinRow).order_by(CheckinRow.person_id))
            return [(r.person_id, r.slot, r.by) for r in rows]
    finally:
        engine.dispose()


def cases_of(db_url: str) -> list[tuple[str | None, str, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(IsolationCaseRow))
            return [(c.person_id, c.origin, c.opened_by) for c in rows]
    finally:
        engine.dispose()


def entries(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"person_id": p, "celsius": c} for p, c in pairs]


def one(client: httpx.Client, person_id: str, slot: str = "morning", **more: Any) -> httpx.Response:
    body = {"person_id": person_id, "slot": slot, "celsius": "36.5", **more}
    return client.post("/api/v1/checkins", json=body)


def batch(client: httpx.Client, slot: str, *pairs: tuple[str, str]) -> httpx.Response:
    return client.post("/api/v1/checkins/class", json={"slot": slot, "entries": entries(*pairs)})


FETCH_AS_PAGE = """async (who) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = JSON.stringify({slot: "noon", entries: [{person_id: who, celsius: "36.5"}]});
  const r = await fetch("/api/v1/checkins/class", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body});
  const s = await fetch("/api/v1/checkins?unit=" + encodeURIComponent("Class B"));
  return [r.status, s.status];
}"""


def test_an_officer_enters_their_own_class_and_a_fever_opens_a_case(
    web: WebServer, users: str
) -> None:
    classes = seed_classes(users)
    a = classes.people["Class A"]
    with web.client("infoofficer-cs") as officer:
        sheet = officer.get("/api/v1/checkins")
        assert sheet.status_code == 200
        assert (sheet.json()["unit"], sheet.json()["units"]) == ("Class A", ["Class A"])
        assert [r["person_id"] for r in sheet.json()["rows"]] == a
        done = batch(officer, "morning", (a[0], "36.5"), (a[1], "38.4"))
        assert done.status_code == 200, done.text
        assert [(d["person_id"], d["by"], d["case_id"] is not None) for d in done.json()] == [
            (a[0], "infoofficer-cs", False),
            (a[1], "infoofficer-cs", True),
        ]
        single = one(officer, a[2], "noon", symptoms=["cough"])
        assert single.status_code == 200, single.text
        missing = officer.get("/api/v1/checkins/missing", params={"slot": "morning"}).json()
    assert [(u["unit"], [p["person_id"] for p in u["people"]]) for u in missing["units"]] == [
        ("Class A", [a[2]])
    ]
    assert stored(users) == [(a[0], "morning", "infoofficer-cs"),
                             (a[1], "morning", "infoofficer-cs"),
                             (a[2], "noon", "infoofficer-cs")]  # fmt: skip
    # Over the threshold, or with symptoms: a case, as a clinic entry would open.
    assert sorted(cases_of(users)) == [(a[1], "checkin", "infoofficer-cs"),
                                       (a[2], "checkin", "infoofficer-cs")]  # fmt: skip


def test_an_officer_is_refused_every_other_units_person_and_unit(
    web: WebServer, users: str
) -> None:
    classes = seed_classes(users)
    a, b, c = (classes.people[u] for u in ("Class A", "Class B", "Class C"))
    with web.client("infoofficer-cs") as officer:
        for unit in ("Class B", "Class C", "-", "", "Class A' OR '1'='1"):
            answer = officer.get("/api/v1/checkins", params={"unit": unit})
            assert answer.status_code in (403, 422), (unit, answer.status_code)
        alone = one(officer, b[0])
        assert (alone.status_code, alone.json()["error"]) == (403, "forbidden_unit")
        # A person of another unit inside a class batch: the whole batch, its line named.
        mixed = batch(officer, "morning", (a[0], "36.5"), (c[0], "36.6"), (a[1], "39.0"))
        assert (mixed.status_code, mixed.json()["error"]) == (403, "forbidden_unit")
        assert f"line 2 ({c[0]})" in mixed.json()["detail"]
        for hostile in HOSTILE:
            answer = batch(officer, "noon", (a[0], "36.5"), (hostile, "36.5"))
            assert answer.status_code in (403, 422), (hostile, answer.status_code)
        # Reminders stay the clinic's.
        assert officer.post("/api/v1/checkins/remind").status_code == 403
        missing = officer.get("/api/v1/checkins/missing", params={"slot": "noon"}).json()
    assert {u["unit"] for u in missing["units"]} == {"Class A"}
    assert stored(users) == []  # nothing of any batch, not even its good lines
    assert cases_of(users) == []  # the 39.0 °C of the refused batch opened nothing
    # The other unit's own officer may; an approver and a guard may not.
    with web.client("officer-b") as other:
        assert one(other, b[0]).status_code == 200
        assert one(other, a[0]).status_code == 403
    for role in ("approver-cs", "guard-n1"):
        with web.client(role) as refused:
            assert one(refused, a[0], "noon").status_code == 403
    assert stored(users) == [(b[0], "morning", "officer-b")]


def test_an_officer_without_a_unit_sees_nobody(web: WebServer, users: str) -> None:
    seed_classes(users)  # infoofficer-cs answers for Class A only
    with web.client("approver-cs") as approver:
        assert approver.get("/api/v1/checkins").status_code == 403
    with httpx.Client(base_url=web.url) as anonymous:
        assert anonymous.get("/api/v1/checkins").status_code == 401


@pytest.mark.slow
def test_an_officer_enters_their_class_on_the_page_and_sees_only_it(
    web: WebServer, users: str, new_page: Any
) -> None:
    classes = seed_classes(users)
    a, b = classes.people["Class A"], classes.people["Class B"]
    page = new_page(1366, 900)
    sign_in(page, web, "infoofficer-cs", "/checkins", live=False)
    expect(page.locator("#unit option")).to_have_count(1)
    expect(page.locator("#unit")).to_have_value("Class A")
    expect(page.locator("#sheet-rows")).to_have_attribute("data-state", "ready")
    expect(page.locator("#sheet-rows tr")).to_have_count(len(a))
    expect(page.locator("button.remind")).to_have_count(0)  # the clinic reminds
    morning = page.locator(".missing-slot[data-slot='morning']")
    expect(morning.locator("li")).to_have_count(1)
    expect(morning.locator("li[data-unit='Class A']")).to_contain_text(f"({len(a)})")
    page.fill(f"#sheet-rows tr[data-person-id='{a[0]}'] input.celsius", "36.4")
    page.fill(f"#sheet-rows tr[data-person-id='{a[1]}'] input.celsius", "38.3")
    page.select_option("#slot", "morning")
    page.click("#save-class")
    # infoofficer-cs reads English (tests/fixtures/web.py)
    expect(page.locator("#checkin-result")).to_contain_text("2 saved, 1 opened a case")
    expect(page.locator(f"#sheet-rows tr[data-person-id='{a[1]}'] td.morning")).to_contain_text(
        "38.3 °C"
    )
    # The page's own session cannot reach another unit, whatever it sends.
    status = page.evaluate(FETCH_AS_PAGE, b[0])
    assert status == [403, 403]
    assert stored(users) == [(a[0], "morning", "infoofficer-cs"),
                             (a[1], "morning", "infoofficer-cs")]  # fmt: skip
