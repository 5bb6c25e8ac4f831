"""The decision handler on its own, without the loop: passages in, pulses and counts out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from gateway.agent.barrier import Barrier
from gateway.agent.config import AgentStats, LaneConfig
from gateway.agent.decisions import Decisions
from gateway.agent.passages import Passages
from gateway.agent.vehicles import VehicleLane
from kernel.clock import FixedClock
from schemas.messages import Credential, Decision, Outcome, Passage
from tests.fixtures.gate_fakes import RecordingTurnstile, RecordingUplink

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class AnsweringUplink(RecordingUplink):
    """An uplink whose outbox holds the passages named in ``kept_ids``."""

    def __init__(self) -> None:
        super().__init__()
        self.kept_ids: set[uuid.UUID] = set()

    def answered(self, event_id: uuid.UUID) -> bool:
        return event_id in self.kept_ids


class AdmitAll:
    def decide(self, passage: Passage) -> Decision | None:
        return decision(passage.event_id, "admit")

    def stale(self, now: datetime) -> bool:
        return False


class Rig:
    def __init__(self, lane: str = "person") -> None:
        self.config = LaneConfig(site="main", gate="north-1", lane=lane)  # type: ignore[arg-type]
        self.clock = FixedClock(NOW)
        self.seconds = 0.0
        self.stats = AgentStats()
        self.uplink = AnsweringUplink()
        self.turnstile = RecordingTurnstile()
        self.barrier = Barrier(self.turnstile, pulse_s=1.5, stats=self.stats)
        self.vehicles = VehicleLane(self.config)
        self.passages = Passages(
            self.config,
            uplink=self.uplink,
            vehicles=self.vehicles,
            clock=self.clock,
            monotonic=lambda: self.seconds,
            stats=self.stats,
        )
        self.decisions = Decisions(
            self.config,
            passages=self.passages,
            vehicles=self.vehicles,
            barrier=self.barrier,
            uplink=self.uplink,
            clock=self.clock,
            stats=self.stats,
        )

    def person(self) -> Passage:
        return self.passages.send([Credential(kind="qr", data="CG1.a.b")], None)


def decision(event_id: uuid.UUID, outcome: Outcome, *, at: datetime = NOW) -> Decision:
    return Decision(
        event_id=event_id,
        gate="north-1",
        decision=outcome,
        reasons=[],
        policy_version=1,
        decided_at=at,
    )


def test_an_admit_pulses_once_however_often_it_arrives() -> None:
    rig = Rig()
    passage = rig.person()
    rig.decisions.arrived(decision(passage.event_id, "admit"))
    rig.decisions.arrived(decision(passage.event_id, "admit"))
    assert rig.turnstile.pulses == [1.5]
    assert (rig.stats.admitted, rig.stats.pulses, rig.stats.ignored_decisions) == (1, 1, 1)
    assert rig.passages.waiting == 0


def test_a_locked_gate_acts_on_no_admit(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.barrier.lock()
    rig.decisions.arrived(decision(rig.person().event_id, "admit"))
    assert rig.turnstile.pulses == []
    assert rig.turnstile.closes == 1
    assert "locked down, admit not acted on" in caplog.text


def test_answers_nobody_waits_for_are_counted_not_acted_on() -> None:
    rig = Rig()
    forwarded = uuid.uuid4()  # kept in the outbox from before a restart
    rig.uplink.kept_ids.add(forwarded)
    rig.decisions.arrived(decision(forwarded, "admit"))
    late = rig.person()
    rig.seconds += rig.config.decision_timeout_s
    for passage in rig.passages.overdue(rig.seconds):
        rig.decisions.no_answer(passage)
    rig.decisions.arrived(decision(late.event_id, "admit"))
    stale = decision(uuid.uuid4(), "admit", at=NOW - timedelta(minutes=1))
    rig.decisions.arrived(stale)
    assert rig.turnstile.pulses == []
    assert (rig.stats.forwarded_answers, rig.stats.no_answer, rig.stats.late_decisions) == (1, 1, 1)
    assert rig.stats.ignored_decisions == 1
    rig.decisions.arrived(decision(uuid.uuid4(), "admit"))  # a fresh kiosk re-measure
    assert rig.turnstile.pulses == [1.5]


def test_the_fallback_decides_when_no_answer_came_and_keeps_it_for_the_audit() -> None:
    rig = Rig()
    rig.decisions.fallback = AdmitAll()
    passage = rig.person()
    rig.decisions.no_answer(passage)
    assert rig.turnstile.pulses == [1.5]
    assert rig.stats.local_decisions == 1
    assert [(p.event_id, p.local_decision) for p in rig.uplink.kept] == [
        (passage.event_id, "admit")
    ]


def test_a_vehicle_goes_only_when_every_occupant_is_admitted() -> None:
    rig = Rig(lane="vehicle")
    rig.vehicles.begin("京A12345", 2)
    driver, rider = rig.person(), rig.person()
    assert driver.vehicle == rider.vehicle is not None
    rig.decisions.arrived(decision(driver.event_id, "admit"))
    rig.decisions.arrived(decision(rider.event_id, "deny"))
    assert rig.turnstile.pulses == []
    again = rig.passages.send(list(rider.credentials), None, recheck_of=rider.event_id)
    rig.decisions.arrived(decision(again.event_id, "admit"))
    assert rig.turnstile.pulses == [1.5]
    assert rig.vehicles.current is None
    assert rig.stats.admitted == 0  # a vehicle's occupants are not counted one by one
