"""Issue 14, High 1: the central side notices passages it never received, and gets them.

A broker that drops passages is simulated the way it was seen: a client that is
not a central worker sits in the central workers' shared subscription (here on
an open broker, so it simply takes them).  The gate would re-send only after an
hour (``resend_s``) and decides on its own only after a minute; the central
worker must find the holes in the gate's numbering, record them, and have the
gate send them again with ``sync``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from schemas.messages import Passage
from schemas.topics import GateChannel, gate_filter, shared
from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import make_engine
from services.storage.stream_models import PassageGapRow
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.processes import Processes
from tests.fixtures.simulated_gate import Lane, check_exactly_once

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"
PEOPLE = 12
NEVER_S = 3600.0  # the gate's own re-send timer: not within this test
PATIENT_S = 60.0  # no local decision (which re-sends at once) within this test either


@pytest.fixture
def lane(own_broker: LocalBroker, start_lane: StartLane, campus: Campus) -> Lane:
    return start_lane(
        own_broker.url, gate=GATE, site_keys=campus.keys_dir,
        resend_s=NEVER_S, decision_timeout_s=PATIENT_S,
    )  # fmt: skip


def gaps(db_url: str) -> list[tuple[int, bool]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(PassageGapRow.n, PassageGapRow.filled_at).order_by(PassageGapRow.n)
            )
            return [(n, filled is not None) for n, filled in rows]
    finally:
        engine.dispose()


def test_passages_a_broker_dropped_are_found_and_sent_again(
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
    stolen: list[InboundMessage] = []
    thief = MqttBus(
        parse_broker_url(own_broker.url),
        client_id=f"thief-{uuid.uuid4().hex[:8]}",
        on_message=stolen.append,
        subscriptions=((shared(gate_filter(site, GateChannel.PASSAGE)), 1),),
    )
    thief.connect()
    for index in range(PEOPLE):
        lane.person(long_lived(campus, index))
    lane.wait_for(lambda: len(stolen) + len(lane.decisions) >= PEOPLE)
    thief.close()  # gone; what it took is still missing
    lane.person(long_lived(campus, PEOPLE))  # a later passage shows the holes below it
    lost = sorted(
        seq.n for m in stolen if (seq := Passage.model_validate_json(m.payload).seq) is not None
    )
    assert 0 < len(lost) == len(stolen)
    lane.wait_drained(timeout=60)
    assert check_exactly_once(sqlite_url, [lane]) == PEOPLE + 1
    # Recorded, and marked filled at the worker's next check.
    lane.wait_for(lambda: gaps(sqlite_url) == [(n, True) for n in lost], timeout=10)
