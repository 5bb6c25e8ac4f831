"""The broker cut, the guard keeps working on the gate's own kiosk (issue 20).

A real gate lane with its local kiosk in Chromium, a real central process and its own
Mosquitto, killed mid-shift: the kiosk keeps showing the decisions made at the gate,
with its offline banner; an override with its reason, a handheld reading and a no-mask
mark made on it during the outage reach the central log exactly once when the broker is
back (the override also in the command log, under the guard's name).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.code_reader.contract import Scan
from gateway.agent.events import ScanSeen
from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import make_engine
from services.storage.models import EntryRow, GateCommandRow
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.local_kiosk import StartKiosk, snapshot_guards
from tests.fixtures.processes import Processes
from tests.fixtures.simulated_gate import check_exactly_once, logged
from tests.fixtures.web import add_users
from tests.fixtures.web_server import PASSWORD

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"


def sensors(db_url: str, event_ids: list[str]) -> dict[str, str | None]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(EntryRow.event_id, EntryRow.sensor).where(EntryRow.event_id.in_(event_ids))
            )
            return {str(row[0]): row[1] for row in rows}
    finally:
        engine.dispose()


def overrides(db_url: str) -> list[tuple[str, str, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(GateCommandRow.issued_by, GateCommandRow.reason, GateCommandRow.override_of)
            )
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        engine.dispose()


def test_the_local_kiosk_keeps_the_guard_working_through_a_broker_outage(
    own_broker: LocalBroker,
    start_lane: StartLane,
    start_kiosk: StartKiosk,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
    new_page: Any,
) -> None:
    # One guard's shift through an outage, start to finish: long on purpose.
    add_users(sqlite_url)  # guard-n1 of north-1 (and guard-s2 of south-2)
    lane = start_lane(own_broker.url, gate=GATE, site_keys=campus.keys_dir)
    kiosk = start_kiosk(lane=lane)
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lane.wait_snapshot()
    lane.wait_for(lambda: [g.username for g in snapshot_guards(lane)()] == ["guard-n1"])

    page = new_page()
    page.goto(f"{kiosk.url}/login")
    page.fill("#username", "guard-n1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-live=connected]")
    decision = page.locator("#decision")
    online = lane.person(long_lived(campus, 0))
    expect(decision).to_have_attribute("data-event-id", str(online.event_id))

    own_broker.stop(signal.SIGKILL)
    offline = lane.person(long_lived(campus, 1))
    lane.wait_for(lambda: lane.agent.stats.local_decisions >= 1)  # decided at the gate
    expect(decision).to_have_attribute("data-event-id", str(offline.event_id))
    expect(decision).to_have_attribute("data-decision", "admit")
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-detail")).to_contain_text("waiting to upload")
    expect(page.locator("#offline-detail")).to_contain_text("whitelist snapshot")

    # A fever at the gate, offline: isolate on screen, and the alarm sounds here too.
    fever = lane.person(long_lived(campus, 3), celsius="38.4", expect="isolate")
    expect(decision).to_have_attribute("data-event-id", str(fever.event_id))
    expect(decision).to_have_attribute("data-decision", "isolate")
    expect(page.locator("body")).to_have_attribute("data-sounds", "1")

    # A stranger is denied at the gate; the guard checks them by hand and opens.
    stranger = lane.person(campus.code("a-stranger"), expect="deny")
    expect(decision).to_have_attribute("data-event-id", str(stranger.event_id))
    expect(decision).to_have_attribute("data-decision", "deny")
    before, pulses = len(lane.produced), lane.agent.stats.pulses
    page.fill("#override-reason", "ambulance crew, ID checked by hand")
    page.click("#override-submit")
    lane.wait_for(lambda: len(lane.produced) > before)
    overridden = lane.uplink.latest
    assert overridden is not None
    assert overridden.override is not None
    assert (overridden.recheck_of, overridden.override.by) == (stranger.event_id, "guard-n1")
    lane.wait_for(lambda: lane.agent.stats.pulses == pulses + 1)  # the gate opened now

    # The thermometer is out: the guard measures by hand and types the reading.
    page.click("#handheld-toggle")
    lane.wait_for(lambda: lane.agent.handheld.active)
    expect(page.locator("#screening-state")).to_be_visible()  # the status says handheld
    before = len(lane.produced)
    lane.agent.inbox.put(ScanSeen(Scan(long_lived(campus, 2), "qr", "camera", time.monotonic())))
    page.fill("#handheld-celsius", "36.7")
    page.click("#handheld-submit")
    lane.wait_for(lambda: len(lane.produced) > before)
    handheld = lane.uplink.latest
    assert handheld is not None
    assert handheld.temperature is not None
    assert handheld.temperature.sensor == "handheld"
    expect(decision).to_have_attribute("data-event-id", str(handheld.event_id))

    # And marks that person as having no mask: a re-check of the passage on screen.
    before = len(lane.produced)
    page.click("#no-mask")
    lane.wait_for(lambda: len(lane.produced) > before)
    unmasked = lane.uplink.latest
    assert unmasked is not None
    assert (unmasked.mask, unmasked.recheck_of) == (False, handheld.event_id)
    expect(decision).to_have_attribute("data-event-id", str(unmasked.event_id))
    expect(decision).to_have_attribute("data-decision", "deny")
    assert lane.uplink.backlog() >= 5  # all kept while the broker is away

    own_broker.start()
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == len(lane.produced) == 7
    assert overrides(sqlite_url) == [
        ("guard-n1", "ambulance crew, ID checked by hand", str(stranger.event_id))
    ]
    found = logged(sqlite_url, [handheld.event_id, unmasked.event_id])
    assert {rows for _, _, rows in found.values()} == {1}
    assert found[unmasked.event_id][0] == "deny"
    assert sensors(sqlite_url, [str(handheld.event_id)]) == {str(handheld.event_id): "handheld"}
    expect(page.locator("#offline-banner")).to_be_hidden()
