"""Symptoms and incidents at the kiosk (Chromium): symptoms isolate the person at their next
passage; an incident reaches the security office live, its note shown as text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.storage.health_models import IncidentRow
from services.storage.models import CaseEventRow, IsolationCaseRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

HOSTILE = '<img src=x onerror="document.body.dataset.owned=1">'


def test_symptoms_at_the_kiosk_open_a_case_that_isolates_the_next_passage(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    users: str,
) -> None:
    person = campus.people[6]
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    first = gate.request(passage(site, campus.code(person.person_id)))
    assert first is not None
    assert first.decision == "admit"
    expect(page.locator("#decision")).to_have_attribute("data-event-id", str(first.event_id))
    page.check("#symptoms-form input[value=cough]")
    page.check("#symptoms-form input[value=sore_throat]")
    page.click("#symptoms-submit")
    expect(page.locator("#action-result")).to_contain_text("Sent")
    engine = make_engine(users)
    try:
        with Session(engine) as session:
            case = session.scalars(select(IsolationCaseRow)).one()
            kinds = session.scalars(select(CaseEventRow.kind)).all()
        assert (case.person_id, case.origin, case.opened_by, case.gate) == (
            person.person_id, "symptoms", "guard-n1", "north-1"
        )  # fmt: skip
        assert case.note == "cough, sore_throat"
        assert list(kinds) == ["symptoms"]
    finally:
        engine.dispose()
    again = gate.request(passage(site, campus.code(person.person_id)))
    assert again is not None
    assert (again.decision, again.reasons, again.case_id) == (
        "isolate", ["isolation_pending"], case.case_id
    )  # fmt: skip


def test_an_incident_reaches_the_office_live(
    web: WebServer, new_page: Any, users: str, campus: Campus
) -> None:
    office = new_page(1366, 900)
    sign_in(office, web, "officer", "/dashboard")
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    page.select_option("#incident-kind", "forced_entry")
    page.fill("#incident-note", HOSTILE)
    page.click("#incident-submit")
    item = office.locator("#incidents li").first
    expect(item).to_contain_text("forced entry")
    expect(item).to_contain_text(HOSTILE)  # shown as text, never run
    assert office.evaluate("document.body.dataset.owned") is None
    engine = make_engine(users)
    try:
        with Session(engine) as session:
            row = session.scalars(select(IncidentRow)).one()
        assert (row.gate, row.kind, row.by, row.event_id) == (
            "north-1", "forced_entry", "guard-n1", None
        )  # fmt: skip
    finally:
        engine.dispose()
    # A reload lists it too; a guard may not read the office's list.
    office.reload()
    expect(office.locator("#incidents li")).to_have_count(1)
    with web.client("guard-n1") as guard:
        assert guard.get("/api/v1/incidents").status_code == 403
        bad = guard.post("/api/v1/gates/north-1/incidents", json={"kind": "riot", "note": ""})
        assert bad.status_code == 422
    assert isinstance(bad, httpx.Response)
