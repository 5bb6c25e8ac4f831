"""The retained policy topic has one writer, and every announcement carries every field."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from schemas.messages import GateStatus, PolicyAnnouncement
from schemas.policy import Policy
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.app import build_snapshot_publisher, build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.policy.announce import PolicyAnnouncer
from services.policy.service import change_policy
from services.storage.engine import make_engine
from tests.fixtures.campus import make_campus
from tests.fixtures.mqtt import Listener

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ANNOUNCE_TIMEOUT_S = 30.0


class Published:
    """A bus that keeps what it was given (the announcer's only seam)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int, bool]] = []

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        self.sent.append((topic, payload, qos, retain))

    def last(self) -> PolicyAnnouncement:
        return PolicyAnnouncement.model_validate_json(self.sent[-1][1])


def test_an_announcement_keeps_the_snapshot_fields_when_the_policy_changes() -> None:
    announcer = PolicyAnnouncer("main", Policy(site="main", version=1))
    bus = Published()
    announcer.announce(bus, NOW)
    assert bus.sent[-1][0] == site_topic("main", SiteChannel.POLICY)
    assert bus.sent[-1][2:] == (1, True)  # QoS 1, retained
    announcer.snapshots_cut(12, "ab" * 32)
    announcer.adopt(Policy(site="main", version=2, threshold=Decimal("37.0")))
    announcer.announce(bus, NOW)
    last = bus.last()
    assert (last.version, last.threshold) == (2, Decimal("37.0"))
    assert (last.snapshot_version, last.snapshot_hash) == (12, "ab" * 32)
    announcer.adopt(Policy(site="main", version=1))  # a late reader's older version
    assert announcer.announcement(NOW).version == 2


def test_only_the_announcer_builds_or_publishes_the_policy_announcement() -> None:
    writers = set()
    for package in ("kernel", "gateway", "services"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == (
                    "PolicyAnnouncement"
                ):
                    writers.add(str(path.relative_to(ROOT)))
    assert writers == {"services/policy/announce.py"}


@pytest.mark.mqtt
def test_a_policy_refresh_announces_the_snapshots_the_publisher_cut(
    broker: LocalBroker, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    """Worker and snapshot publisher share the announcer; the retained message is whole."""
    campus = make_campus(sqlite_url, tmp_path / "keys")
    settings = CentralSettings(
        site=site,
        mqtt=MqttSettings(url=broker.url),
        db=DbSettings(url=sqlite_url),
        keys_dir=campus.keys_dir,
        policy_refresh_s=0.2,
    )
    policy_topic = site_topic(site, SiteChannel.POLICY)
    gate = Listener(broker.url, (policy_topic,))
    gate.bus.connect()
    worker = build_worker(settings)
    worker.start()
    publisher = build_snapshot_publisher(settings, policy=worker.policy, announcer=worker.announcer)
    publisher.check_interval_s = 0.2
    publisher.start()
    publishing = True
    try:
        status = GateStatus(site=site, gate="north-1", online=True, ts=datetime.now(UTC))
        status_topic = gate_topic(site, "north-1", GateChannel.STATUS)
        gate.publish(status_topic, status.model_dump_json().encode())
        cut = _announcement(gate, lambda a: a.snapshot_hash != "")
        # From here on only the worker announces: its refresh must not blank the snapshots.
        publisher.stop()
        publishing = False
        engine = make_engine(sqlite_url)
        with Session(engine) as session, session.begin():
            change_policy(session=session, site=site, changes={"threshold": "37.1"},
                          by="office", reason="test", now=datetime.now(UTC))  # fmt: skip
        engine.dispose()
        refreshed = _announcement(gate, lambda a: a.version == cut.version + 1)
    finally:
        if publishing:
            publisher.stop()
        worker.stop()
        gate.bus.close()
    assert refreshed.threshold == Decimal("37.1")
    # The worker's announcement of the new version still names the snapshots.
    assert refreshed.snapshot_hash
    assert refreshed.snapshot_version >= cut.snapshot_version


def _announcement(listener: Listener, wanted: object) -> PolicyAnnouncement:
    deadline = time.monotonic() + ANNOUNCE_TIMEOUT_S
    while True:
        message = listener.get(timeout=max(0.1, deadline - time.monotonic()))
        announcement = PolicyAnnouncement.model_validate_json(message.payload)
        if wanted(announcement):  # type: ignore[operator]
            return announcement
