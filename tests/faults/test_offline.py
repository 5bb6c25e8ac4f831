"""Never lose a passage (DESIGN section 6, issue 5): faults injected around a real gate.

Each case ends with the same check: every event_id the gates produced is logged
exactly once, with the right decision.
"""

from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.processes import Processes
from tests.fixtures.simulated_gate import Lane, SkewedClock, check_exactly_once, logged, make_lane

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"


@pytest.fixture
def lane(own_broker: LocalBroker, start_lane: StartLane, campus: Campus) -> Lane:
    # The campus first: the lane trusts the site keys it holds.
    return start_lane(own_broker.url, gate=GATE, site_keys=campus.keys_dir)


def test_broker_killed_and_restarted_mid_stream(
    lane: Lane,
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lane.wait_snapshot()
    for index in range(10):
        lane.person(long_lived(campus, index))
    own_broker.stop(signal.SIGKILL)
    for index in range(10, 30):
        lane.person(long_lived(campus, index % 25))
    lane.person(long_lived(campus, 26), celsius="38.1", expect="isolate")
    lane.person(campus.code("a-stranger"), expect="deny")
    lane.wait_for(lambda: lane.agent.stats.local_decisions >= 22)  # decided at the gate
    assert lane.uplink.backlog() >= 22  # and all kept while the broker is away
    own_broker.start()
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == 32
    found = logged(sqlite_url, lane.produced[10:30])
    assert {local for _, local, _ in found.values()} == {"admit"}


def test_central_killed_mid_stream_then_restarted(
    lane: Lane,
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    log = tmp_path / "central.log"
    central = processes.central_for(own_broker.url, sqlite_url, campus, site, log)
    lane.wait_snapshot()
    for index in range(40):
        lane.person(long_lived(campus, index % 25))
        if index == 15:
            central.send_signal(signal.SIGKILL)
            central.wait(10)
    processes.central_for(own_broker.url, sqlite_url, campus, site, log)
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == 40


def test_person_revoked_while_the_gate_was_offline_is_flagged(
    lane: Lane,
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lane.wait_snapshot()
    revoked = campus.people[3]
    own_broker.stop(signal.SIGKILL)
    passage = lane.person(long_lived(campus, 3), expect="deny")
    lane.wait_for(lambda: lane.agent.stats.local_decisions == 1)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(
                update(PersonRow)
                .where(PersonRow.person_id == revoked.person_id)
                .values(active=False)
            )
    finally:
        engine.dispose()
    own_broker.start()
    lane.wait_drained()
    check_exactly_once(sqlite_url, [lane])
    decision, local, _ = logged(sqlite_url, [passage.event_id])[passage.event_id]
    assert (decision, local) == ("deny", "admit")  # both kept: the audit sees the disagreement


@pytest.mark.parametrize("skew", [timedelta(minutes=5), timedelta(minutes=-5)])
def test_clock_skew_between_gate_and_central(
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
    skew: timedelta,
) -> None:
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lane = make_lane(
        own_broker.url, site=site, gate=GATE, workdir=tmp_path, clock=SkewedClock(skew)
    )
    lane.agent.start()
    try:
        lane.wait_snapshot()
        for index in range(8):
            lane.person(long_lived(campus, index))
        own_broker.stop(signal.SIGKILL)
        for index in range(8, 16):
            lane.person(long_lived(campus, index))
        own_broker.start()
        lane.wait_drained()
    finally:
        lane.agent.stop()
    assert check_exactly_once(sqlite_url, [lane]) == 16


def test_one_time_code_used_offline_at_two_gates_is_logged_twice_and_flagged(
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")
    lanes = [
        make_lane(own_broker.url, site=site, gate=gate, workdir=tmp_path)
        for gate in ("north-1", "south-2")
    ]
    for lane in lanes:
        lane.agent.start()
    try:
        for lane in lanes:
            lane.wait_snapshot()
        visitor_pass = campus.code(campus.people[5].person_id, once=True)
        own_broker.stop(signal.SIGKILL)
        passages = [lane.person(visitor_pass) for lane in lanes]  # the code is copied
        for lane in lanes:
            lane.wait_for(lambda lane=lane: lane.agent.stats.local_decisions == 1)
        own_broker.start()
        for lane in lanes:
            lane.wait_drained()
    finally:
        for lane in lanes:
            lane.agent.stop()
    found = logged(sqlite_url, [p.event_id for p in passages])
    assert sorted(rows for _, _, rows in found.values()) == [1, 1]  # both logged, once each
    assert {local for _, local, _ in found.values()} == {"admit"}  # each gate let them in
    # Centrally the code admits once; the second use is denied, against the gate's admit.
    assert sorted(decision for decision, _, _ in found.values()) == ["admit", "deny"]
