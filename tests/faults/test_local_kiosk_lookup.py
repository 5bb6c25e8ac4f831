"""The broker cut, the guard looks a person up on the gate's own kiosk (issue 20).

A real gate lane holding the site's ID hash key, its local kiosk in Chromium, a real
central process and its own Mosquitto, killed: the guard finds a person with neither
phone nor card by their ID number and by a part of their Chinese name in the gate's
signed snapshot, sends a passage for them with a handheld reading, and the kiosk shows
the gate's decision; once the broker is back, the central log holds that passage
exactly once, and the audit log says which guard entered it.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kernel.plain_ids import plain_id_hasher
from schemas.policy import Policy
from services.broker_admin.local_broker import LocalBroker
from services.identity import DEMO_KEY
from services.policy.service import seed_policy
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.local_kiosk import StartKiosk, held_snapshot
from tests.fixtures.processes import Processes
from tests.fixtures.simulated_gate import check_exactly_once, logged
from tests.fixtures.web import add_users
from tests.fixtures.web_server import PASSWORD

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"
NAME = "欧阳娜娜"


def prepare(db_url: str, site: str, person_id: str) -> None:
    """Typed IDs accepted; the person looked up has a Chinese name."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            seed_policy(session=session, policy=Policy(site=site, accept_plain_ids=True),
                        by="test", now=datetime.now(UTC))  # fmt: skip
            session.execute(update(PersonRow).where(PersonRow.person_id == person_id)
                            .values(name=NAME))  # fmt: skip
    finally:
        engine.dispose()


def entered(db_url: str) -> list[tuple[str, str, dict[str, Any]]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(AuditLogRow.actor, AuditLogRow.target,
                                          AuditLogRow.params_json)
                                   .where(AuditLogRow.action == "gate.manual_passage"))  # fmt: skip
            return [(actor, target, json.loads(params)) for actor, target, params in rows]
    finally:
        engine.dispose()


def test_a_person_looked_up_offline_reaches_the_central_log_once(
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
    # One look-up through an outage, from the snapshot to the central log: long on purpose.
    person = campus.people[4]
    add_users(sqlite_url)  # guard-n1 of north-1
    prepare(sqlite_url, site, person.person_id)
    lane = start_lane(own_broker.url, gate=GATE, site_keys=campus.keys_dir,
                      hash_plain_id=plain_id_hasher(DEMO_KEY))  # fmt: skip
    kiosk = start_kiosk(lane=lane)
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lane.wait_snapshot()
    snapshot = held_snapshot(lane)

    def ready() -> bool:
        held = snapshot()
        return (
            held is not None
            and held.policy.accept_plain_ids
            and [g.username for g in held.guards] == ["guard-n1"]
            and any(p.name == NAME for p in held.persons)
        )

    lane.wait_for(ready)
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
    expect(page.locator("#offline-banner")).to_be_visible(timeout=30_000)

    # By ID number: the gate hashes it with the site's key, as its offline decisions do.
    found = page.locator("#lookup-results li")
    page.fill("#lookup-q", person.id_number)
    page.click("#lookup-submit")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text(NAME)
    expect(found.first).to_contain_text(person.id_number[-4:])
    expect(found.first).not_to_contain_text(person.id_number)  # never the whole number
    expect(found.first).not_to_contain_text(person.person_id)  # a guard sees it masked
    # And by a part of the name, as a guard asks who has no papers either.
    page.fill("#lookup-q", "阳娜")
    page.click("#lookup-submit")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text(NAME)

    before, local = len(lane.produced), lane.agent.stats.local_decisions
    found.first.locator("button").click()
    page.fill("#manual-celsius", "36.6")
    page.click("#manual-submit")
    lane.wait_for(lambda: len(lane.produced) > before)
    sent = lane.uplink.latest
    assert sent is not None
    assert [(c.kind, c.data) for c in sent.credentials] == [("manual", person.person_id)]
    assert sent.entered_by == "guard-n1"
    assert sent.temperature is not None
    assert (str(sent.temperature.celsius), sent.temperature.sensor) == ("36.6", "handheld")
    lane.wait_for(lambda: lane.agent.stats.local_decisions > local)  # decided at the gate
    expect(decision).to_have_attribute("data-event-id", str(sent.event_id))
    expect(decision).to_have_attribute("data-decision", "admit")
    expect(page.locator("#person-name")).to_have_text(NAME)
    expect(page.locator("#lookup-result")).to_contain_text(NAME)
    assert lane.uplink.backlog() >= 1  # kept while the broker is away

    own_broker.start()
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == len(lane.produced) == 2
    assert logged(sqlite_url, [sent.event_id]) == {sent.event_id: ("admit", "admit", 1)}
    [(actor, target, params)] = entered(sqlite_url)
    assert (actor, target) == ("guard-n1", f"{GATE}/{sent.event_id}")
    assert (params["person_id"], params["celsius"], params["via"]) == (
        person.person_id,
        "36.6",
        "gate_kiosk",
    )
    expect(page.locator("#offline-banner")).to_be_hidden()
