"""Issue 14 (Low): what one gate account can make the central side store or compute.

Against the generated config on a real Mosquitto, with the gate's own account:
junk on its passage topic, and a storm of retained statuses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kernel.bus.mqtt import MqttBus, parse_broker_url
from kernel.clock import SystemClock
from kernel.codes.reload import LiveKeys
from schemas.ids import uuid7
from schemas.messages import Decision, GateStatus, SnapshotInfo
from schemas.policy import Policy
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.central.reject_budget import BUDGET_BYTES, BUDGET_MESSAGES
from services.snapshot.publisher import MIN_ROUND_GAP_S, SnapshotPublisher
from services.storage.engine import make_engine
from services.storage.models import RejectedMessageRow
from tests.fixtures.campus import Campus, make_campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.mqtt import Listener
from tests.fixtures.processes import Processes
from tests.fixtures.secure_broker import SITE, SecureBroker

pytestmark = pytest.mark.mqtt

JUNK_MESSAGES = 150
JUNK_BYTES = 60_000  # under the 64 KiB a rejected message is kept up to
ANSWER_WITHIN_S = 60.0
STORM = 3000
STORM_SETTLE_S = 2.5


def start_central(
    broker: SecureBroker,
    db_url: str,
    campus: Campus,
    processes: Processes,
    listen: Callable[..., Listener],
    log: Path,
) -> None:
    policy = listen(broker.url("north-1"), site_topic(SITE, SiteChannel.POLICY))
    processes.central(
        "--broker", broker.url("central"), "--db", db_url,
        "--site", SITE, "--keys", str(campus.keys_dir), log=log,
    )  # fmt: skip
    policy.get(timeout=30)  # up, subscribed, and publishing with its account


def kept_rejections(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            count, size = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(func.length(RejectedMessageRow.payload)), 0),
                )
            ).one()
            return int(count), int(size)
    finally:
        engine.dispose()


def test_junk_from_one_gate_is_answered_but_stored_only_within_its_budget(
    own_secure_broker: SecureBroker,
    sqlite_url: str,
    tmp_path: Path,
    processes: Processes,
    listen: Callable[..., Listener],
) -> None:
    log = tmp_path / "central.log"
    campus = make_campus(sqlite_url, tmp_path / "keys")
    start_central(own_secure_broker, sqlite_url, campus, processes, listen, log)
    gate = DecisionClient(own_secure_broker.url("north-1"), site=SITE, gate="north-1").connect()
    topic = gate_topic(SITE, "north-1", GateChannel.PASSAGE)
    sent = []
    try:
        for _ in range(JUNK_MESSAGES):
            event_id = uuid7()
            junk = {"event_id": str(event_id), "junk": "x" * JUNK_BYTES}
            gate.expect(event_id)
            gate.bus.publish(topic, json.dumps(junk).encode())
            sent.append(event_id)
        deadline = time.monotonic() + ANSWER_WITHIN_S
        answers: list[Decision | None] = [
            gate.wait(e, max(0.0, deadline - time.monotonic())) for e in sent
        ]
    finally:
        gate.close()
    # Every one is still answered, so a real gate with a bug is not left waiting ...
    assert [(a.decision, a.reasons) if a else None for a in answers] == [
        ("deny", ["malformed"])
    ] * JUNK_MESSAGES
    # ... but only the gate's budget of them is kept, and that is said once.
    count, size = kept_rejections(sqlite_url)
    assert 0 < count <= BUDGET_MESSAGES
    assert size <= BUDGET_BYTES
    assert log.read_text(encoding="utf-8").count("over its budget") == 1


class CountingSessions:
    """The publisher's sessions, counted: each is one read of the whole site's data."""

    def __init__(self, engine: Engine) -> None:
        self.make = sessionmaker(engine, expire_on_commit=False, class_=Session)
        self.opened = 0

    def __call__(self) -> Session:
        self.opened += 1
        return self.make()


def status(checksum: str) -> bytes:
    now = datetime.now(UTC)
    held = SnapshotInfo(version=1, checksum=checksum, taken_at=now)
    return (
        GateStatus(site=SITE, gate="north-1", online=True, ts=now, snapshot=held)
        .model_dump_json()
        .encode()
    )


def test_a_storm_of_retained_statuses_costs_one_round_per_second(
    own_secure_broker: SecureBroker, sqlite_url: str, tmp_path: Path
) -> None:
    campus = make_campus(sqlite_url, tmp_path / "keys")
    engine = make_engine(sqlite_url)
    sessions = CountingSessions(engine)
    publisher = SnapshotPublisher(
        address=parse_broker_url(own_secure_broker.url("central")),
        site=SITE,
        sessions=sessions,  # type: ignore[arg-type]
        policy=Policy(site=SITE),
        keys=LiveKeys(campus.keys_dir, signing=True),
        clock=SystemClock(),
        check_interval_s=3600,  # only statuses wake it
    )
    publisher.start()
    gate = MqttBus(parse_broker_url(own_secure_broker.url("north-1")),
                   client_id=f"storm-{uuid7().hex[:8]}")  # fmt: skip
    gate.connect()
    topic = gate_topic(SITE, "north-1", GateChannel.STATUS)
    try:
        gate.publish(topic, status("first"), retain=True)
        deadline = time.monotonic() + 10
        while publisher.published_count == 0:  # it saw the gate and sent its snapshot
            assert time.monotonic() < deadline
            time.sleep(0.02)
        before, started = sessions.opened, time.monotonic()
        for index in range(STORM):
            gate.publish(topic, status(f"bogus-{index}"), retain=True)
        gate.publish(topic, status("last"), retain=True)
        time.sleep(STORM_SETTLE_S)  # what the storm costs after it, too
        elapsed = time.monotonic() - started
        reads = sessions.opened - before
    finally:
        gate.close()
        publisher.stop()
        engine.dispose()
    assert publisher.gates() == ["north-1"]
    # Every status claims another snapshot, yet the site is read at most once a second.
    assert 1 <= reads <= elapsed / MIN_ROUND_GAP_S + 1, f"{reads} reads in {elapsed:.1f} s"
