"""The agent's inbox: every device, the uplink and the guard post events here.

Device threads, paho's network thread and the console never touch the agent's
state; they post an event and the agent's single loop handles it, so the lane's
state needs no locks.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass

from devices.code_reader.contract import Scan
from devices.thermometer.frames import Event as ThermometerEvent
from schemas.messages import Command, Decision, PolicyAnnouncement


@dataclass(frozen=True, slots=True)
class ScanSeen:
    scan: Scan


@dataclass(frozen=True, slots=True)
class ThermometerSaw:
    event: ThermometerEvent


@dataclass(frozen=True, slots=True)
class DecisionArrived:
    decision: Decision


@dataclass(frozen=True, slots=True)
class CommandArrived:
    command: Command


@dataclass(frozen=True, slots=True)
class PolicyArrived:
    policy: PolicyAnnouncement


@dataclass(frozen=True, slots=True)
class SnapshotArrived:
    """A snapshot envelope as received; the store checks it on the agent's loop."""

    envelope: bytes


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    online: bool


@dataclass(frozen=True, slots=True)
class GuardAction:
    """Something the guard asked for (re-measure, no mask, a vehicle), run on the loop."""

    run: Callable[[], None]


AgentEvent = (
    ScanSeen
    | ThermometerSaw
    | DecisionArrived
    | CommandArrived
    | PolicyArrived
    | SnapshotArrived
    | ConnectionChanged
    | GuardAction
)


class Inbox:
    """A thread-safe queue of :data:`AgentEvent`; ``get`` waits at most ``timeout``."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[AgentEvent] = queue.SimpleQueue()

    def put(self, event: AgentEvent) -> None:
        self._queue.put(event)

    def get(self, timeout: float) -> AgentEvent | None:
        try:
            return self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None

    def scan_sink(self, scan: Scan) -> None:
        self.put(ScanSeen(scan))

    def thermometer_sink(self, event: ThermometerEvent) -> None:
        self.put(ThermometerSaw(event))
