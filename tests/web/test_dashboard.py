"""The security office dashboard in Chromium: gates live, lockdown reaches the gate."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from schemas.messages import Command
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_helpers import gate_status, publish_status
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_a_lockdown_from_the_dashboard_reaches_the_gate_and_denies_the_next_passage(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    listen: Any,
    broker: LocalBroker,
) -> None:
    commands = listen(broker.url, gate_topic(site, "north-1", GateChannel.COMMAND))
    page = new_page(1366, 768)
    sign_in(page, web, "officer", "/dashboard")
    row = page.locator("#gate-rows tr[data-gate='north-1']")
    expect(row).to_be_visible()
    row.locator("button[data-command=lockdown]").click()
    page.fill("#command-reason", "suspected intruder near the north gate")
    page.click("#command-confirm")
    command = Command.model_validate_json(commands.get().payload)
    assert (command.command, command.gate, command.issued_by) == ("lockdown", "north-1", "officer")
    assert command.reason == "suspected intruder near the north gate"
    expect(row.locator(".locked-chip")).to_be_visible()
    expect(page.locator("#commands li").first).to_contain_text("officer")
    person = campus.people[1]
    denied = gate.request(passage(site, campus.code(person.person_id)))
    assert denied is not None
    assert (denied.decision, denied.reasons) == ("deny", ["gate_closed"])
    expect(page.locator("#denials li").first).to_contain_text("gate closed")
    # Release: the gate admits again.
    row.locator("button[data-command=release]").click()
    page.click("#command-confirm")
    assert Command.model_validate_json(commands.get().payload).command == "release"
    expect(row.locator(".locked-chip")).to_have_count(0)
    admitted = gate.request(passage(site, campus.code(person.person_id)))
    assert admitted is not None
    assert admitted.decision == "admit"


def test_the_dashboard_shows_every_gate_live(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
) -> None:
    page = new_page(1920, 1080)
    sign_in(page, web, "auditor", "/dashboard")
    for name in ("north-1", "north-2", "south-2"):
        expect(page.locator(f"#gate-rows tr[data-gate='{name}']")).to_be_visible()
    expect(page.locator("button[data-command]")).to_have_count(0)  # an auditor only looks
    publish_status(gate.bus, gate_status(site, "north-2", thermometer="fault"))
    north2 = page.locator("#gate-rows tr[data-gate='north-2']")
    expect(north2).to_contain_text("online")
    expect(north2).to_contain_text("thermometer: fault")
    expect(north2.locator(".handheld-chip")).to_have_count(0)
    # The thermometer lacks its offset: the lane measures by hand, and says so (issue 20).
    status = gate_status(site, "north-2", thermometer="unconfigured", screening="handheld")
    publish_status(gate.bus, status)
    expect(north2).to_contain_text("thermometer: unconfigured")
    expect(north2.locator(".handheld-chip")).to_have_text("handheld thermometer")
    publish_status(gate.bus, gate_status(site, "south-2", online=False))
    expect(page.locator("#gate-rows tr[data-gate='south-2']")).to_contain_text("offline")
    for person in campus.people[:3]:
        assert gate.request(passage(site, campus.code(person.person_id), gate="north-2"))
    expect(north2.locator("td.today")).to_have_text("3")
    expect(north2.locator("td.hour")).to_have_text("3")
    expect(page.locator("#live li")).to_have_count(3)
    # A new gate that nobody configured appears when it first reports.
    publish_status(gate.bus, gate_status(site, "east-9"))
    expect(page.locator("#gate-rows tr[data-gate='east-9']")).to_be_visible()
    # On reload the counts come from the database.
    page.reload()
    page.wait_for_selector("body[data-live=connected]")
    expect(page.locator("#gate-rows tr[data-gate='north-2'] td.today")).to_have_text("3")
