"""The audit pages and /api/v1/audit: history, explanation, contact trace, exports.

A day of passages of roster people is written through the repository; the
auditor asks about them through the API and in Chromium.  Each answer is
checked against the rows that made it, and each query against its audit-log row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow
from tests.fixtures.browser import SCREENSHOTS, sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.web_seed import entry_for
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

TZ = ZoneInfo("Asia/Shanghai")  # the web settings' default zone


class Scene:
    """Case X at north-1 two hours ago; Y 10 min later there, Z 50 min later, W elsewhere."""

    def __init__(self, db_url: str, site: str, campus: Campus) -> None:
        people = campus.people
        self.x, self.y, self.z, self.w = (people[i].person_id for i in range(4))
        self.x_name = people[0].name
        base = timedelta(hours=2)
        records = [
            entry_for(site, "north-1", "admit", person_id=self.x, ago=base),
            entry_for(site, "south-2", "admit", person_id=self.x, ago=timedelta(days=2)),
            entry_for(site, "north-1", "admit", person_id=self.y, ago=base - timedelta(minutes=10)),
            entry_for(site, "north-1", "deny", person_id=self.z, ago=base - timedelta(minutes=50)),
            entry_for(site, "south-2", "admit", person_id=self.w, ago=base),
        ]
        self.x_event = records[0].event_id
        engine = make_engine(db_url)
        try:
            with Session(engine) as session, session.begin():
                repo.insert_entries(session=session, records=records)
        finally:
            engine.dispose()
        self.db_url = db_url

    def audit_log(self) -> list[AuditLogRow]:
        engine = make_engine(self.db_url)
        try:
            with Session(engine) as session:
                return list(session.scalars(select(AuditLogRow).order_by(AuditLogRow.id)))
        finally:
            engine.dispose()


@pytest.fixture
def scene(web: WebServer, users: str, site: str, campus: Campus) -> Scene:
    return Scene(users, site, campus)


def today() -> datetime:
    return datetime.now(UTC).astimezone(TZ)


def test_person_history_is_answered_masked_by_role_and_logged(web: WebServer, scene: Scene) -> None:
    since = (today() - timedelta(days=3)).date().isoformat()
    with web.client("auditor") as auditor:
        response = auditor.get(f"/api/v1/audit/persons/{scene.x}/history", params={"since": since})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [r["gate"] for r in rows] == ["south-2", "north-1"]  # oldest first
    assert {r["person_id"] for r in rows} == {scene.x}
    assert {r["name"] for r in rows} == {scene.x_name}  # the auditor sees names
    [logged] = [r for r in scene.audit_log() if r.action == "audit.person"]
    assert (logged.actor, logged.role, logged.target, logged.result_count) == (
        "auditor",
        "auditor",
        scene.x,
        2,
    )


def test_the_audit_log_shows_who_asked_what_and_its_own_reading(
    web: WebServer, scene: Scene
) -> None:
    with web.client("auditor") as auditor:
        auditor.get(f"/api/v1/audit/persons/{scene.x}/history")
        first = auditor.get("/api/v1/audit/log", params={"who": "auditor"}).json()
        second = auditor.get("/api/v1/audit/log", params={"who": "auditor"}).json()
        page = auditor.get("/audit/log")
        bad = auditor.get("/api/v1/audit/log", params={"who": "Robert'); DROP"})
    assert [(r["action"], r["target"]) for r in first] == [("audit.person", scene.x)]
    assert [r["action"] for r in second] == ["audit.person", "audit.log"]
    assert page.status_code == 200
    assert "audit.person" in page.text
    assert bad.status_code == 422


def test_gate_history_filters_by_decision(web: WebServer, scene: Scene) -> None:
    with web.client("admin") as admin:
        everything = admin.get("/api/v1/audit/gates/north-1/history").json()
        denied = admin.get(
            "/api/v1/audit/gates/north-1/history", params={"decision": "deny"}
        ).json()
    assert [r["person_id"] for r in everything] == [scene.x, scene.y, scene.z]
    assert [r["person_id"] for r in denied] == [scene.z]
    assert [r.actor for r in scene.audit_log() if r.action == "audit.gate"] == ["admin", "admin"]


def test_contact_trace_finds_who_was_within_the_window(web: WebServer, scene: Scene) -> None:
    with web.client("auditor") as auditor:
        narrow = auditor.get(f"/api/v1/audit/persons/{scene.x}/trace", params={"window": 30})
        wide = auditor.get(f"/api/v1/audit/persons/{scene.x}/trace", params={"window": 60})
    assert narrow.status_code == 200, narrow.text
    assert [c["who"] for c in narrow.json()["contacts"]] == [scene.y]
    assert narrow.json()["contacts"][0]["closest_seconds"] == pytest.approx(600, abs=1)
    assert [c["who"] for c in wide.json()["contacts"]] == [scene.y, scene.z]
    assert len(narrow.json()["passages"]) == 2
    traces = [r for r in scene.audit_log() if r.action == "audit.trace"]
    assert [(r.actor, r.result_count) for r in traces] == [("auditor", 1), ("auditor", 2)]


def test_an_event_is_explained(web: WebServer, scene: Scene) -> None:
    with web.client("auditor") as auditor:
        response = auditor.get(f"/api/v1/audit/events/{scene.x_event}")
        missing = auditor.get("/api/v1/audit/events/0190a0b0-0000-7000-8000-000000000000")
    assert response.status_code == 200, response.text
    explanation = response.json()
    assert explanation["event_id"] == str(scene.x_event)
    assert explanation["entry"]["person_id"] == scene.x
    assert explanation["entry"]["policy_version"] == 0
    assert explanation["inputs"]["gate"] == "north-1"
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"since": "2026-11-20", "until": "2026-11-10"}, 422, "bad_dates"),
        ({"since": "9999-12-31"}, 422, "bad_dates"),
        ({"since": "1999-12-31", "until": "2000-01-02"}, 422, "bad_dates"),
        ({"until": "0001-01-01"}, 422, "bad_dates"),  # the default "since" would overflow
        ({"since": "2024-01-01", "until": "2026-01-01"}, 422, "invalid_input"),  # over a year
    ],
)
def test_bad_dates_are_refused_with_a_reason(
    web: WebServer, scene: Scene, params: dict[str, str], status: int, code: str
) -> None:
    with web.client("auditor") as auditor:
        response = auditor.get(f"/api/v1/audit/persons/{scene.x}/history", params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]


def test_unreadable_dates_and_unknown_people_are_refused(web: WebServer, scene: Scene) -> None:
    with web.client("auditor") as auditor:
        garbled = auditor.get(
            f"/api/v1/audit/persons/{scene.x}/history", params={"since": "20-11-2026"}
        )
        unknown = auditor.get("/api/v1/audit/persons/nobody-here/history")
        unknown_trace = auditor.get("/api/v1/audit/persons/A-0000/trace")
        bad_window = auditor.get(f"/api/v1/audit/persons/{scene.x}/trace?window=0")
        page = auditor.get("/audit/person", params={"person_id": scene.x, "until": "soon"})
    assert garbled.status_code == 422
    assert (unknown.status_code, unknown.json()["error"]) == (404, "person_not_found")
    assert (unknown_trace.status_code, unknown_trace.json()["error"]) == (404, "person_not_found")
    assert bad_window.status_code == 422
    assert page.status_code == 422
    assert "Invalid dates" in page.text
    assert not [r for r in scene.audit_log() if r.target == "nobody-here"]


def test_exports_are_downloads_of_the_same_rows(web: WebServer, scene: Scene) -> None:
    with web.client("auditor") as auditor:
        as_csv = auditor.get(f"/api/v1/audit/persons/{scene.x}/history?format=csv")
        as_xlsx = auditor.get(f"/api/v1/audit/persons/{scene.x}/trace?format=xlsx&window=60")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0][0] == "time"
    assert [row[7] for row in table[1:]] == [scene.x, scene.x]
    workbook = openpyxl.load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    contacts = [row[0] for row in workbook["contacts"].iter_rows(min_row=2, values_only=True)]
    assert contacts == [scene.y, scene.z]


def test_the_auditor_looks_up_a_history_and_a_trace_and_downloads_the_csv(
    web: WebServer, scene: Scene, new_page: Any
) -> None:
    page = new_page()
    sign_in(page, web, "auditor", then="/audit", live=False)
    page.fill("#person-id", scene.x)
    page.click("#person-form button[type=submit]")
    page.wait_for_selector("#results[data-mode=person]")
    rows = page.locator("#entries tbody tr")
    assert rows.count() == 2
    assert scene.x_name in rows.nth(0).inner_text()
    page.locator("#entries a.explain").nth(1).click()
    page.wait_for_selector("#explanation")
    assert page.inner_text("#event-id") == str(scene.x_event)
    page.goto(f"{web.url}/audit")
    page.fill("#trace-person", scene.x)
    page.fill("#trace-window", "30")
    page.click("#trace-form button[type=submit]")
    page.wait_for_selector("#results[data-mode=trace]")
    assert page.inner_text("#contact-count") == "1"
    assert scene.y in page.inner_text("#contacts")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "audit-trace.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#export-csv")
    text = info.value.path().read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in table[1:]] == [scene.y]
    actions = [(r.actor, r.action) for r in scene.audit_log() if r.action.startswith("audit.")]
    assert actions == [
        ("auditor", "audit.person"),
        ("auditor", "audit.explain"),
        ("auditor", "audit.trace"),
        ("auditor", "audit.trace"),  # the download asks again, and is logged again
    ]


def test_the_codes_of_an_event_are_checked_against_the_sites_keys(
    make_server: Callable[..., WebServer], users: str, site: str, campus: Campus
) -> None:
    web = make_server(users, keys_dir=str(campus.keys_dir))
    person = campus.people[0].person_id
    secret = campus.code(person)
    record = entry_for(site, "north-1", "admit", person_id=person, code=secret)
    engine = make_engine(users)
    try:
        with Session(engine) as session, session.begin():
            repo.insert_entries(session=session, records=[record])
    finally:
        engine.dispose()
    with web.client("auditor") as auditor:
        response = auditor.get(f"/api/v1/audit/events/{record.event_id}")
        page = auditor.get(f"/audit/events/{record.event_id}")
    [code] = response.json()["codes"]
    assert (code["subject"], code["status_then"]) == (person, "valid")
    assert page.status_code == 200
    assert secret not in page.text  # a bearer secret is never shown
    assert secret not in response.text
