"""A simulated gate lane with every reliability part real: fault tests, the soak, demos.

The agent runs in-process with the real outbox (SQLite), the real snapshot
store and local decider, and the real MQTT uplink; people are presented by
posting a scan and a body reading on its inbox, which is exactly what the
camera and thermometer drivers do.  Every passage the lane produces is
recorded with the decision it must end up logged with, so a test or the soak
can check "every event_id logged exactly once, with the right decision"
(:func:`check_exactly_once`, :func:`audit`).
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.camera.codes import Scan
from devices.relay.turnstile import NoRelay
from devices.thermometer.frames import Reading
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import Inbox, ScanSeen, ThermometerSaw
from gateway.agent.uplink import MqttUplink, Uplink
from gateway.outbox import Outbox, OutboxUplink
from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from schemas.messages import Decision, Passage
from services.bus.mqtt import parse_broker_url
from services.clock import Clock, SystemClock
from services.storage.engine import make_engine
from services.storage.models import EntryRow

WAIT_S = 30.0


class SkewedClock:
    """A gate clock off by ``skew`` (gates without NTP)."""

    def __init__(self, skew: timedelta) -> None:
        self.skew = skew

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew


class SpyUplink(OutboxUplink):
    """Records every passage the agent hands to its uplink: what the gate produced."""

    def __init__(self, inner: Uplink, outbox: Outbox, **options: Any) -> None:
        super().__init__(inner, outbox, **options)
        # Only ids are kept: a long soak must not grow by whole passages.
        self.produced: list[uuid.UUID] = []
        self.latest: Passage | None = None

    def publish_passage(self, passage: Passage) -> None:
        self.produced.append(passage.event_id)
        self.latest = passage
        super().publish_passage(passage)


@dataclass
class Lane:
    agent: GateAgent
    uplink: SpyUplink
    expected: dict[uuid.UUID, str] = field(default_factory=dict)
    decisions: deque[Decision] = field(default_factory=lambda: deque(maxlen=100))

    def person(self, code: str, celsius: str = "36.6", expect: str = "admit") -> Passage:
        before = len(self.produced)
        now = datetime.now(UTC)
        self.agent.inbox.put(ScanSeen(Scan(code, "qr", "camera", time.monotonic())))
        self.agent.inbox.put(ThermometerSaw(Reading("body", "ir-0", Decimal(celsius), now)))
        deadline = time.monotonic() + WAIT_S
        while len(self.produced) <= before:
            if time.monotonic() > deadline:
                raise TimeoutError("the gate produced no passage")
            time.sleep(0.002)
        passage = self.uplink.latest
        assert passage is not None
        self.expected[passage.event_id] = expect
        return passage

    @property
    def produced(self) -> list[uuid.UUID]:
        return self.uplink.produced

    def wait_drained(self, timeout: float = 60.0) -> None:
        """Until the outbox is empty: every passage answered by the central side."""
        self.wait_for(lambda: self.uplink.backlog() == 0 and not self.agent.waiting, timeout)

    def wait_for(self, probe: Callable[[], bool], timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while not probe():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"gate {self.agent.config.gate}: condition not met in {timeout} s "
                    f"({self.uplink.backlog()} kept; {self.agent.stats})"
                )
            time.sleep(0.02)

    def wait_snapshot(self, timeout: float = WAIT_S) -> None:
        self.wait_for(
            lambda: self.agent.snapshots is not None and self.agent.snapshots.current is not None,
            timeout,
        )


def make_lane(
    broker_url: str,
    *,
    site: str,
    gate: str,
    workdir: Path,
    clock: Clock | None = None,
    decision_timeout_s: float = 1.0,
    resend_s: float = 2.0,
    max_offline_age: timedelta = timedelta(hours=12),
) -> Lane:
    clock = clock or SystemClock()
    inbox = Inbox()
    uplink = SpyUplink(
        MqttUplink(
            parse_broker_url(broker_url), site=site, gate=gate, inbox=inbox, now=clock.now()
        ),
        Outbox(workdir / f"{gate}-outbox.db"),
        resend_s=resend_s,
        forward_rate=200,
    )
    snapshots = SnapshotStore(workdir / f"{gate}-snapshot.bin", site=site, gate=gate)
    decisions: deque[Decision] = deque(maxlen=100)
    agent = GateAgent(
        LaneConfig(
            site=site, gate=gate, decision_timeout_s=decision_timeout_s, status_interval_s=2
        ),
        inbox=inbox,
        uplink=uplink,
        turnstile=NoRelay(),
        clock=clock,
        snapshots=snapshots,
        on_decision=lambda d, _p: decisions.append(d),
    )
    agent.fallback = LocalDecider(
        snapshots,
        clock=clock,
        locked=lambda: agent.locked,
        last_contact=lambda: agent.last_contact,
        max_offline_age=max_offline_age,
    )
    return Lane(agent, uplink, decisions=decisions)


def logged(db_url: str, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None, int]]:
    """event_id -> (central decision, local decision, rows) for ``event_ids``."""
    engine = make_engine(db_url)
    wanted = {str(e) for e in event_ids}
    found: dict[uuid.UUID, tuple[str, str | None, int]] = {}
    try:
        with Session(engine) as session:
            for event_id, decision, local in session.execute(
                select(EntryRow.event_id, EntryRow.decision, EntryRow.local_decision)
            ):
                if event_id in wanted:
                    key = uuid.UUID(event_id)
                    rows = found[key][2] + 1 if key in found else 1
                    found[key] = (decision, local, rows)
    finally:
        engine.dispose()
    return found


@dataclass(frozen=True, slots=True)
class Audit:
    produced: int
    lost: int
    duplicated: int
    wrong: int
    examples: tuple[str, ...]


def audit(db_url: str, lanes: list[Lane]) -> Audit:
    """Compare what the lanes produced with what the central side logged."""
    produced = [event_id for lane in lanes for event_id in lane.produced]
    expected = {e: d for lane in lanes for e, d in lane.expected.items()}
    found = logged(db_url, produced)
    missing = [e for e in produced if e not in found]
    twice = [e for e, (_, _, rows) in found.items() if rows != 1]
    twice += [e for e in set(produced) if produced.count(e) > 1]
    wrong = [e for e, want in expected.items() if e in found and found[e][0] != want]
    examples = tuple(
        [f"lost {e}" for e in missing[:3]]
        + [f"twice {e}" for e in twice[:3]]
        + [f"{e}: logged {found[e][0]}, expected {expected[e]}" for e in wrong[:3]]
    )
    return Audit(len(produced), len(missing), len(twice), len(wrong), examples)


def check_exactly_once(db_url: str, lanes: list[Lane]) -> int:
    """Every produced event_id logged exactly once with the expected decision."""
    result = audit(db_url, lanes)
    if result.lost or result.duplicated or result.wrong:
        raise AssertionError(f"{result}")
    return result.produced
