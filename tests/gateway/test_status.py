"""Device health has one type: the families report it, the gate status carries it."""

from __future__ import annotations

from typing import get_args

from devices.health import SEVERITY, Health, HealthState, worst
from gateway.agent.status import device_health
from schemas.messages import MAX_TEXT, DeviceHealth


def test_the_wire_states_are_the_device_states_and_absent() -> None:
    wire = set(get_args(DeviceHealth.model_fields["state"].annotation))
    assert wire == {*get_args(HealthState), "absent"}
    assert set(SEVERITY) == set(get_args(HealthState))


def test_worst_picks_the_most_severe_and_joins_its_details() -> None:
    degraded: Health = ("degraded", "ambient 12 C")
    assert worst(("ok", ""), degraded) == degraded
    assert worst(("fault", "unplugged"), degraded, ("fault", "")) == ("fault", "unplugged")
    assert worst(("fault", "a"), ("fault", "b")) == ("fault", "a; b")
    assert worst(("ok", ""), ("ok", "")) == ("ok", "")


def test_device_health_keeps_a_detail_within_the_wire_limit() -> None:
    health = device_health(("fault", "x" * (MAX_TEXT + 10)), counters={"pulses": 2})
    assert health.state == "fault"
    assert len(health.detail) == MAX_TEXT
    assert health.counters == {"pulses": 2}
