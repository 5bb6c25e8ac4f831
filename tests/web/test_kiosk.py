"""The gate kiosk in Chromium: live decisions, gate health, re-measure, no mask, override."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.messages import Command, Passage
from schemas.topics import GateChannel, gate_filter, gate_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.storage.models import GateCommandRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_helpers import gate_status, publish_status
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_a_passage_published_on_mqtt_appears_on_the_kiosk(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
) -> None:
    page = new_page(1920, 1080)
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    expect(page.locator("#decision")).to_have_class("decision idle")
    person = campus.people[0]
    decision = gate.request(passage(site, campus.code(person.person_id)))
    assert decision is not None
    assert decision.decision == "admit"
    panel = page.locator("#decision")
    expect(panel).to_have_attribute("data-event-id", str(decision.event_id))
    expect(panel).to_have_attribute("data-decision", "admit")
    expect(page.locator("#outcome")).to_have_text("ADMIT")
    expect(page.locator("#person-name")).to_have_text(person.name)
    expect(page.locator("#person-id")).to_have_text(f"{'*' * 14}{person.id_number[-4:]}")
    expect(page.locator("#temperature")).to_have_text("36.6 °C")
    expect(page.locator("#recent li").first).to_contain_text(person.name)
    # A stranger is denied and the reason is shown in words.
    stranger = gate.request(passage(site, campus.code("nobody")))
    assert stranger is not None
    expect(panel).to_have_attribute("data-event-id", str(stranger.event_id))
    expect(page.locator("#outcome")).to_have_text("DENY")
    expect(page.locator("#reasons")).to_have_text("not on the whitelist")
    # Another gate's passage never shows here: once a later one of this gate has shown,
    # the other (decided before it, on the same feed) would have been there already.
    other = gate.request(passage(site, campus.code(person.person_id), gate="south-2"))
    assert other is not None
    later = gate.request(passage(site, campus.code("nobody")))
    assert later is not None
    expect(panel).to_have_attribute("data-event-id", str(later.event_id))
    expect(page.locator(f"#recent li[data-event-id='{other.event_id}']")).to_have_count(0)
    expect(page.locator("#recent li")).to_have_count(3)


def test_gate_health_and_the_offline_banner(
    web: WebServer, gate: DecisionClient, site: str, new_page: Any
) -> None:
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    expect(page.locator("#gate-state")).to_have_text("not reported")
    publish_status(gate.bus, gate_status(site, "north-1", thermometer="degraded"))
    expect(page.locator("#gate-state")).to_have_text("online")
    expect(page.locator("#devices")).to_contain_text("thermometer")
    expect(page.locator("#devices")).to_contain_text("degraded")
    expect(page.locator("#snapshot")).to_contain_text("v7")
    expect(page.locator("#offline-banner")).to_be_hidden()
    publish_status(gate.bus, gate_status(site, "north-1", online=False))
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#gate-state")).to_have_text("offline")
    # A page opened later gets the retained status at once.
    later = new_page()
    sign_in(later, web, "guard-n1", "/kiosk/north-1")
    expect(later.locator("#offline-banner")).to_be_visible()


def test_remeasure_and_no_mask_become_passages_the_central_decides(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    listen: Any,
    broker: LocalBroker,
) -> None:
    passages = listen(broker.url, gate_filter(site, GateChannel.PASSAGE, "north-1"))
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    person = campus.people[3]
    first = gate.request(passage(site, campus.code(person.person_id), celsius=None))
    assert first is not None
    assert (first.decision, first.reasons) == ("recheck", ["no_temperature"])
    passages.get()  # the gate's own passage
    expect(page.locator("#decision")).to_have_attribute("data-decision", "recheck")
    page.fill("#remeasure-celsius", "36.7")
    page.click("#remeasure-submit")
    recheck = Passage.model_validate_json(passages.get().payload)
    assert recheck.recheck_of == first.event_id
    assert recheck.temperature is not None
    assert (str(recheck.temperature.celsius), recheck.temperature.sensor) == ("36.7", "handheld")
    assert recheck.credentials == [c for c in recheck.credentials if c.kind == "qr"]
    expect(page.locator("#decision")).to_have_attribute("data-event-id", str(recheck.event_id))
    expect(page.locator("#decision")).to_have_attribute("data-decision", "admit")
    expect(page.locator("#decision-meta")).to_contain_text("handheld")
    # The guard sees no mask: the same person again with mask false -> deny no_mask.
    page.click("#no-mask")
    marked = Passage.model_validate_json(passages.get().payload)
    assert (marked.mask, marked.recheck_of) == (False, recheck.event_id)
    expect(page.locator("#decision")).to_have_attribute("data-event-id", str(marked.event_id))
    expect(page.locator("#decision")).to_have_attribute("data-decision", "deny")
    expect(page.locator("#reasons")).to_have_text("no mask")


def test_manual_override_is_logged_and_opens_the_gate(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    listen: Any,
    broker: LocalBroker,
    users: str,
) -> None:
    commands = listen(broker.url, gate_topic(site, "north-1", GateChannel.COMMAND))
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    denied = gate.request(passage(site, campus.code("nobody")))
    assert denied is not None
    expect(page.locator("#decision")).to_have_attribute("data-event-id", str(denied.event_id))
    page.fill("#override-reason", "ambulance crew, ID checked by hand")
    page.click("#override-submit")
    command = Command.model_validate_json(commands.get().payload)
    assert (command.command, command.issued_by) == ("open", "guard-n1")
    assert command.reason == "ambulance crew, ID checked by hand"
    engine = make_engine(users)
    with Session(engine) as session:
        row = session.scalars(select(GateCommandRow)).one()
    engine.dispose()
    assert (row.override_of, row.issued_by, row.gate) == (
        str(denied.event_id),
        "guard-n1",
        "north-1",
    )
    # A fever is never overridden at the lane.
    fever = gate.request(passage(site, campus.code(campus.people[5].person_id), "38.4"))
    assert fever is not None
    expect(page.locator("#decision")).to_have_attribute("data-decision", "isolate")
    page.fill("#override-reason", "he says he feels fine")
    page.click("#override-submit")
    expect(page.locator("#action-result")).to_have_text(
        "A fever or isolation decision cannot be overridden; call the clinic"
    )
    assert json.loads(page.evaluate("document.body.dataset.sounds || '0'")) >= 1


def test_a_vehicle_waits_until_every_occupant_is_admitted(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
) -> None:
    import uuid

    from schemas.messages import Vehicle

    with web.client("admin") as admin:  # a staff car: the plate is checked too (issue 16)
        admin.post("/api/v1/vehicles/plates", json={"plate": "京A12345"}).raise_for_status()
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    car = Vehicle(plate="京A·12345", group_id=uuid.uuid4(), occupants=2)
    driver, rider = campus.people[6], campus.people[7]
    gate.request(passage(site, campus.code(driver.person_id), vehicle=car))
    blocked = gate.request(passage(site, campus.code(rider.person_id), celsius=None, vehicle=car))
    assert blocked is not None
    expect(page.locator("#vehicle-title")).to_contain_text("Vehicle 京A·12345: 1/2 checked")
    expect(page.locator("#vehicle-title")).to_contain_text("vehicle must wait")
    expect(page.locator("#vehicle-occupants li.blocking")).to_contain_text(rider.name)
    page.fill("#remeasure-celsius", "36.4")
    page.click("#remeasure-submit")
    expect(page.locator("#vehicle-title")).to_contain_text("2/2 checked")
    expect(page.locator("#vehicle-title")).to_contain_text("vehicle may pass")
    expect(page.locator("#vehicle-occupants li.blocking")).to_have_count(0)
