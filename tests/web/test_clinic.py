"""The clinic in Chromium: a fever sounds, the case is worked to observation and release."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.storage.models import IsolationCaseRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_server import ShiftedClock, WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def case_row(db_url: str, case_id: str) -> IsolationCaseRow:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            row = session.get(IsolationCaseRow, case_id)
            assert row is not None
            return row
    finally:
        engine.dispose()


def test_a_fever_sounds_on_the_clinic_page_and_is_worked_to_release_there(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    users: str,
) -> None:
    page = new_page(1366, 768)
    sign_in(page, web, "nurse", "/clinic")
    expect(page.locator("#no-cases")).to_be_visible()
    person = campus.people[4]
    fever = gate.request(passage(site, campus.code(person.person_id), "38.2"))
    assert fever is not None
    assert fever.decision == "isolate"
    assert fever.case_id is not None
    row = page.locator(f"#case-rows tr[data-case-id='{fever.case_id}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text(person.name)
    expect(row).to_contain_text("38.2 °C")
    expect(row).to_contain_text("待确认")  # the nurse reads Chinese
    # The alarm played: the <audio> element exists and play() resolved.
    expect(page.locator("audio#alarm")).to_have_attribute("src", "/static/sounds/alarm.wav")
    page.wait_for_function("Number(document.body.dataset.sounds || 0) >= 1")
    # play() resolves before the first moment of sound is in `played`: wait for it.
    page.wait_for_function("document.getElementById('alarm').played.length >= 1")
    # Acknowledge, record the clinic's own reading, send to observation, then release.
    row.locator("button.ack").click()
    expect(row).to_contain_text("已确认 · nurse")
    row.locator("input.measure-input").fill("37.1")
    row.locator("button.measure").click()
    expect(row).to_contain_text("→ 37.1 °C")
    assert case_row(users, fever.case_id).status == "remeasured"  # a reading never closes it
    row.locator("input.measure-input").fill("150")  # typed wrong: refused, nothing changes
    row.locator("button.measure").click()
    expect(page.locator("#live-banner")).to_be_visible()
    assert str(case_row(users, fever.case_id).clinic_celsius) == "37.10"
    row.locator("select.step-select").select_option("observe")
    row.locator("select.place").select_option("room")
    row.locator("input.room").fill("observation room 2")
    row.locator("input.until").fill("2099-12-20T08:00")
    row.locator("button.apply").click()
    expect(row).to_contain_text("隔离观察中")
    expect(row).to_contain_text("observation room 2")
    stored = case_row(users, fever.case_id)
    assert (stored.status, stored.observation_place) == ("observation", "room")
    assert (stored.acknowledged_by, str(stored.clinic_celsius)) == ("nurse", "37.10")
    row.locator("select.step-select").select_option("release")
    row.locator("input.reason").fill("14 days without fever")
    row.locator("button.apply").click()
    expect(row).to_contain_text("已解除隔离 · nurse")
    expect(row.locator("button.apply")).to_have_count(0)
    stored = case_row(users, fever.case_id)
    assert (stored.status, stored.closed_by, stored.release_reason) == (
        "released",
        "nurse",
        "14 days without fever",
    )
    # The timeline tells the story in order.
    row.click()
    kinds = page.locator("#timeline li")
    expect(kinds).to_have_count(6)
    assert [kinds.nth(i).get_attribute("data-kind") for i in range(6)] == [
        "opened",
        "alerted",
        "acknowledged",
        "remeasured",
        "observation",
        "released",
    ]
    expect(kinds.nth(5)).to_contain_text("14 days without fever")


def test_an_unacknowledged_alert_escalates_to_the_dashboard(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    clock: ShiftedClock,
) -> None:
    office = new_page(1366, 768)
    sign_in(office, web, "officer", "/dashboard")
    expect(office.locator("#escalations")).to_be_hidden()
    fever = gate.request(passage(site, campus.code(campus.people[8].person_id), "39.0"))
    assert fever is not None
    expect(office.locator(f"#cases li[data-case-id='{fever.case_id}']")).to_contain_text("open")
    # Nobody acknowledges; the web service's clock moves past the delay.
    clock.advance(timedelta(seconds=web.settings.web.escalation_delay_s + 1))
    escalated = office.locator(f"#escalation-list li[data-case-id='{fever.case_id}']")
    expect(escalated).to_be_visible()
    expect(escalated).to_contain_text("escalated")
    office.wait_for_function("Number(document.body.dataset.sounds || 0) >= 1")
    # The clinic page shows it escalated too, and acknowledging clears the office's list.
    nurse = new_page()
    sign_in(nurse, web, "nurse", "/clinic")
    row = nurse.locator(f"#case-rows tr[data-case-id='{fever.case_id}']")
    expect(row).to_have_class("open escalated")
    row.locator("button.ack").click()
    expect(office.locator("#escalations")).to_be_hidden()
