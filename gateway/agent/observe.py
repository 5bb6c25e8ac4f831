"""The gate agent's own ``/healthz``, ``/readyz`` and ``/metrics`` (``campusgate gate --http``).

Read at scrape time from the agent's running counts, its outbox and its devices'
health; nothing is added to the lane's loop.  Ready: connected to the broker, no
device in ``fault``.  Serve it on 127.0.0.1 (the default in compose): the gate box's
own monitoring agent, or an SSH tunnel, reads it; the security office sees the
same state through the gate's retained status.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.agent.agent import GateAgent
from kernel.observe import Check, Gauge, Registry
from kernel.observe.metrics import Sample

DEVICE_STATES = ("ok", "degraded", "fault", "absent")


def readiness_checks(agent: GateAgent) -> dict[str, Check]:
    def broker() -> str | None:
        return None if agent.uplink.connected else "not connected: deciding on its own"

    def devices() -> str | None:
        faults = [name for name, h in agent.devices().items() if h.state == "fault"]
        return f"in fault: {', '.join(sorted(faults))}" if faults else None

    return {"broker": broker, "devices": devices}


def gate_registry(agent: GateAgent) -> Registry:
    registry = Registry()
    stats = agent.stats

    def one(value: float) -> Iterable[Sample]:
        return [((), float(value))]

    def outcomes() -> Iterable[Sample]:
        return [((outcome,), float(n)) for outcome, n in list(stats.outcomes.items())]

    def devices() -> Iterable[Sample]:
        return [
            ((device, state), float(health.state == state))
            for device, health in agent.devices().items()
            for state in DEVICE_STATES
        ]

    for metric in (
        Gauge("campusgate_lane_passages_total", "passages this lane produced",
              lambda: one(stats.passages), kind="counter"),
        Gauge("campusgate_lane_decisions_total", "decisions acted on, by outcome",
              outcomes, ["outcome"], kind="counter"),
        Gauge("campusgate_lane_local_decisions_total", "decided here, offline",
              lambda: one(stats.local_decisions), kind="counter"),
        Gauge("campusgate_lane_no_answer_total", "passages with no decision in time",
              lambda: one(stats.no_answer), kind="counter"),
        Gauge("campusgate_lane_outbox", "passages kept, not yet answered",
              lambda: one(agent.uplink.backlog())),
        Gauge("campusgate_lane_connected", "1 while connected to the broker",
              lambda: one(agent.uplink.connected)),
        Gauge("campusgate_lane_device_state", "1 for each device's current state",
              devices, ["device", "state"]),
    ):  # fmt: skip
        registry.add(metric)
    return registry
