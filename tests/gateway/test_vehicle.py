"""Vehicle groups: the barrier opens only when every announced occupant is admitted."""

from __future__ import annotations

import uuid

import pytest

from gateway.vehicle import VehicleGroup


def test_cleared_only_when_all_occupants_admitted() -> None:
    group = VehicleGroup("京A12345", occupants=2)
    a, b = uuid.uuid4(), uuid.uuid4()
    group.add(a)
    assert group.record(a, "admit")
    assert not group.cleared  # the second occupant has not been screened yet
    group.add(b)
    assert group.blocking() == [b]
    group.record(b, "admit")
    assert group.cleared


def test_one_denied_occupant_blocks_until_remeasured() -> None:
    group = VehicleGroup("京A12345", occupants=2)
    a, b, again = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    group.add(a)
    group.add(b)
    group.record(a, "admit")
    group.record(b, "recheck")
    assert group.blocking() == [b]
    group.add(again, recheck_of=b)
    assert group.screened == 2
    group.record(again, "admit")
    assert group.cleared


def test_isolated_occupant_keeps_the_vehicle_out() -> None:
    group = VehicleGroup("京A12345", occupants=1)
    a = uuid.uuid4()
    group.add(a)
    group.record(a, "isolate")
    assert not group.cleared
    assert group.blocking() == [a]


def test_more_passages_than_occupants_are_refused() -> None:
    group = VehicleGroup("京A12345", occupants=1)
    group.add(uuid.uuid4())
    with pytest.raises(ValueError, match="already has 1"):
        group.add(uuid.uuid4())


def test_foreign_decisions_are_not_recorded() -> None:
    group = VehicleGroup("京A12345", occupants=1)
    assert not group.record(uuid.uuid4(), "admit")
    assert group.wire().occupants == 1


@pytest.mark.parametrize("count", [0, 65])
def test_occupant_count_is_bounded(count: int) -> None:
    with pytest.raises(ValueError, match="occupants"):
        VehicleGroup("京A12345", occupants=count)


@pytest.mark.parametrize(("lane", "announced"), [("vehicle", True), ("person", False)])
def test_a_vehicle_command_from_a_kiosk_begins_a_vehicle_only_at_a_vehicle_lane(
    lane: str, announced: bool
) -> None:
    from datetime import UTC, datetime

    from gateway.agent.barrier import Barrier
    from gateway.agent.commands import carry_out
    from gateway.agent.config import AgentStats, LaneConfig
    from gateway.agent.vehicles import VehicleLane
    from schemas.messages import Command, VehicleAnnouncement
    from tests.fixtures.gate_fakes import RecordingTurnstile

    stats = AgentStats()
    vehicles = VehicleLane(LaneConfig(site="main", gate="v-1", lane=lane))  # type: ignore[arg-type]
    command = Command(
        command_id=uuid.uuid4(),
        site="main",
        gate="v-1",
        command="vehicle",
        issued_by="guard-v1",
        ts=datetime.now(UTC),
        vehicle=VehicleAnnouncement(plate="京A12345", occupants=3),
    )
    barrier = Barrier(RecordingTurnstile(), pulse_s=0.1, stats=stats)
    carry_out(command, gate="v-1", barrier=barrier, vehicles=vehicles, stats=stats, on_sync=[])
    assert (vehicles.current is not None) is announced
    if vehicles.current is not None:
        assert (vehicles.current.plate, vehicles.current.occupants) == ("京A12345", 3)
    assert stats.pulses == 0  # announcing never opens the barrier
