"""A vehicle announced on the central kiosk (issue 20): the gate screens every occupant
and opens the barrier only when all are admitted; the kiosk shows each one's progress."""

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
from tests.fixtures.lanes import StartLane
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_a_vehicle_announced_on_the_kiosk_passes_only_when_every_occupant_is_admitted(
    web: WebServer,
    central: CentralWorker,
    campus: Campus,
    broker: LocalBroker,
    start_lane: StartLane,
    new_page: Any,
) -> None:
    with web.client("admin") as admin:  # a staff car: the plate is checked too (issue 16)
        admin.post("/api/v1/vehicles/plates", json={"plate": "京A54321"}).raise_for_status()
    # The centre decides (the default 1 s would let a busy machine's lane decide alone).
    lane = start_lane(broker.url, gate="north-1", lane="vehicle", site_keys=campus.keys_dir,
                      decision_timeout_s=15)  # fmt: skip
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    # The form appears once the gate says it is a vehicle lane.
    expect(page.locator("#vehicle-form")).to_be_visible()
    page.fill("#vehicle-plate", "京A·54321")
    page.fill("#vehicle-count", "2")
    page.click("#vehicle-submit")
    expect(page.locator("#vehicle-title")).to_contain_text("Vehicle 京A·54321: 0/2 checked")
    expect(page.locator("#vehicle-title")).to_contain_text("vehicle must wait")
    lane.wait_for(lambda: lane.agent.vehicle is not None)
    driver, rider = campus.people[6], campus.people[7]
    first = lane.person(campus.code(driver.person_id))
    assert first.vehicle is not None
    assert (first.vehicle.plate, first.vehicle.occupants) == ("京A·54321", 2)
    expect(page.locator("#vehicle-title")).to_contain_text("1/2 checked")
    lane.wait_for(lambda: len(lane.decisions) == 1)
    assert lane.agent.stats.pulses == 0  # one admitted of two: the barrier stays shut
    lane.person(campus.code(rider.person_id))
    expect(page.locator("#vehicle-title")).to_contain_text("2/2 checked")
    expect(page.locator("#vehicle-title")).to_contain_text("vehicle may pass")
    lane.wait_for(lambda: lane.agent.stats.pulses == 1)


def test_the_vehicle_command_carries_the_guards_plate_and_count_and_only_to_their_gate(
    web: WebServer, listen: Any, broker: LocalBroker, site: str
) -> None:
    commands = listen(broker.url, gate_topic(site, "north-1", GateChannel.COMMAND))
    with web.client("guard-n1") as client:
        token = client.headers.pop("X-CSRF-Token")
        hostile = {"plate": "<b>A1</b>", "occupants": 3}
        sent = client.post(
            "/api/v1/gates/north-1/vehicle", json=hostile, headers={"X-CSRF-Token": token}
        )
        assert sent.status_code == 200, sent.text
        command = Command.model_validate_json(commands.get().payload)
        assert command.vehicle is not None
        assert (command.command, command.vehicle.plate, command.vehicle.occupants) == (
            "vehicle",
            "<b>A1</b>",
            3,
        )
        for bad in ({"plate": "A1", "occupants": 0}, {"plate": "A1", "occupants": 65},
                    {"plate": "", "occupants": 1}, {"plate": "A\x00", "occupants": 1},
                    {"plate": "A" * 17, "occupants": 1}):  # fmt: skip
            refused = client.post(
                "/api/v1/gates/north-1/vehicle", json=bad, headers={"X-CSRF-Token": token}
            )
            assert refused.status_code == 422, bad
        no_csrf = client.post("/api/v1/gates/north-1/vehicle", json=hostile)
        assert (no_csrf.status_code, no_csrf.json()["error"]) == (403, "bad_csrf")
