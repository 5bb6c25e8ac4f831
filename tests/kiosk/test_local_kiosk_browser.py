"""The gate's own kiosk in Chromium: a vehicle announced on it (issue 20, Build 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from schemas.snapshot import SnapshotGuard
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.visitors.vehicles import add_plate
from tests.fixtures.campus import Campus
from tests.fixtures.lanes import StartLane
from tests.fixtures.local_kiosk import StartKiosk

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

PASSWORD = "vehicle-lane-guard-1"


def whitelist(db_url: str, site: str, plate: str) -> None:
    """A staff car: the plate is checked as well as every occupant (issue 16)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            add_plate(session=session, site=site, plate=plate, owner="staff", unit="Physics",
                      valid_from=None, valid_until=None, by="admin",
                      now=datetime.now(UTC))  # fmt: skip
    finally:
        engine.dispose()


def test_a_vehicle_announced_on_the_gates_kiosk_passes_when_every_occupant_is_admitted(
    campus_db: str,
    site: str,
    broker: LocalBroker,
    central: CentralWorker,
    campus: Campus,
    start_lane: StartLane,
    start_kiosk: StartKiosk,
    new_page: Any,
) -> None:
    whitelist(campus_db, site, "京B24680")
    # The centre decides (the default 1 s would let a busy machine's lane decide alone).
    lane = start_lane(broker.url, gate="north-1", lane="vehicle", site_keys=campus.keys_dir,
                      decision_timeout_s=15)  # fmt: skip
    guard = SnapshotGuard(username="guard-n1", password_hash=PasswordHasher().hash(PASSWORD))
    kiosk = start_kiosk(lane=lane, guards=[guard])
    page = new_page()
    page.goto(f"{kiosk.url}/login")
    page.fill("#username", "guard-n1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-live=connected]")
    expect(page.locator("#vehicle-form")).to_be_visible()  # the lane says it is a vehicle lane
    page.fill("#vehicle-plate", "京B·24680")
    page.fill("#vehicle-count", "2")
    page.click("#vehicle-submit")
    title = page.locator("#vehicle-title")
    expect(title).to_contain_text("Vehicle 京B·24680: 0/2 checked")
    lane.wait_for(lambda: lane.agent.vehicle is not None)
    lane.person(campus.code(campus.people[6].person_id))
    expect(title).to_contain_text("1/2 checked")
    expect(title).to_contain_text("vehicle must wait")
    assert lane.agent.stats.pulses == 0
    lane.person(campus.code(campus.people[7].person_id))
    expect(title).to_contain_text("2/2 checked")
    expect(title).to_contain_text("vehicle may pass")
    lane.wait_for(lambda: lane.agent.stats.pulses == 1)
