"""Snapshot sync end to end: full first, then deltas, against the real broker and database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

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
from tests.fixtures.snapshots import StartPublisher

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"


@pytest.fixture
def publisher(start_publisher: StartPublisher) -> SnapshotPublisher:
    return start_publisher(policy_version=7)


@pytest.fixture
def lane(own_broker: LocalBroker, start_lane: StartLane, campus: Campus) -> Lane:
    # The campus first: the lane trusts the site keys it holds.
    return start_lane(own_broker.url, gate=GATE, site_keys=campus.keys_dir)


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
