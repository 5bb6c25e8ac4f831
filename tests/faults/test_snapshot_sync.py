"""Snapshot sync end to end: full first, then deltas, against the real broker and database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kernel.bus.mqtt import parse_broker_url
from kernel.clock import SystemClock
from kernel.codes import LiveKeys
from schemas.policy import Policy
from services.broker_admin.local_broker import LocalBroker
from services.demo.people import roster_csv, synthetic_people
from services.identity import DEMO_KEY, IdHasher
from services.roster import import_roster
from services.snapshot.publisher import SnapshotPublisher
from services.storage.engine import make_engine
from services.storage.repository import set_gate_locked
from tests.fixtures.campus import Campus
from tests.fixtures.lanes import StartLane
from tests.fixtures.simulated_gate import Lane

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"


@pytest.fixture
def publisher(
    own_broker: LocalBroker, sqlite_url: str, campus: Campus, site: str
) -> Iterator[SnapshotPublisher]:
    engine = make_engine(sqlite_url)
    running = SnapshotPublisher(
        address=parse_broker_url(own_broker.url),
        site=site,
        sessions=sessionmaker(engine, expire_on_commit=False, class_=Session),
        policy=Policy(site=site, version=7),
        keys=LiveKeys(campus.keys_dir, signing=True),
        clock=SystemClock(),
        check_interval_s=0.2,
    )
    running.start()
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def lane(own_broker: LocalBroker, start_lane: StartLane) -> Lane:
    return start_lane(own_broker.url, gate=GATE)


def held_ids(lane: Lane) -> set[str]:
    store = lane.agent.snapshots
    assert store is not None
    assert store.current is not None
    return {p.id for p in store.current.snapshot.persons}


def test_full_snapshot_then_deltas(
    publisher: SnapshotPublisher, lane: Lane, campus: Campus, sqlite_url: str, site: str
) -> None:
    lane.wait_snapshot()
    assert held_ids(lane) == {p.person_id for p in campus.people}
    assert publisher.deltas_sent == 0
    newcomer = synthetic_people(len(campus.people) + 1)[-1]
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            import_roster(
                roster_csv([newcomer]).splitlines(), session=session, hasher=IdHasher(DEMO_KEY)
            )
        lane.wait_for(lambda: newcomer.person_id in held_ids(lane))
        assert publisher.deltas_sent == 1
        assert lane.agent.snapshots is not None
        assert lane.agent.snapshots.deltas == 1
        with Session(engine) as session, session.begin():
            set_gate_locked(
                session=session, site=site, gate=GATE, locked=True, by="test", at=datetime.now(UTC)
            )
        store = lane.agent.snapshots
        lane.wait_for(lambda: store.current is not None and store.current.snapshot.locked)
        assert store.deltas == 2
    finally:
        engine.dispose()
    # The gate reports what it holds; it is what the publisher sent last.
    status = lane.agent.status()
    assert status.snapshot is not None
    assert status.snapshot.checksum == publisher._published[GATE].checksum
