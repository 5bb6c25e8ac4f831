"""Recording stand-ins for the agent's own seams (Uplink, Turnstile), for loop tests.

The end-to-end tests use the real MQTT uplink and the real relay driver; these
let the loop's rules be tested one at a time, waiting on conditions, not sleeps.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from devices.health import Health
from schemas.messages import GateStatus, Passage, Reading

T = TypeVar("T")
WAIT_S = 5.0
POLL_S = 0.02


class Recorder:
    def __init__(self) -> None:
        self._cond = threading.Condition()

    def _changed(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, probe: Callable[[], T | None], timeout: float = WAIT_S) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = probe()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"condition not met within {timeout} s")
                self._cond.wait(min(left, POLL_S))  # also sees changes made elsewhere


class RecordingUplink(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.passages: list[Passage] = []
        self.statuses: list[GateStatus] = []
        self.readings: list[Reading] = []
        self.kept: list[Passage] = []
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    @property
    def connected(self) -> bool:
        return self.started and not self.closed

    def publish_passage(self, passage: Passage) -> None:
        self.passages.append(passage)
        self._changed()

    def publish_status(self, status: GateStatus) -> None:
        self.statuses.append(status)
        self._changed()

    def publish_reading(self, reading: Reading) -> None:
        self.readings.append(reading)
        self._changed()

    def keep(self, passage: Passage) -> None:
        self.kept.append(passage)

    def answered(self, event_id: uuid.UUID) -> bool:
        return False

    def pump(self, now: float) -> None:
        """Nothing kept here."""

    def backlog(self) -> int:
        return 0

    def health(self) -> Health | None:
        return None

    def close(self) -> None:
        self.closed = True

    def passage(self, index: int) -> Passage:
        return self.wait_for(lambda: len(self.passages) > index and self.passages)[index]


class RecordingTurnstile(Recorder):
    def __init__(self, name: str = "turnstile") -> None:
        super().__init__()
        self.name = name
        self.pulses: list[float] = []
        self.closes = 0
        self.state: Health = ("ok", "")

    def start(self) -> None:
        """Nothing to open."""

    def pulse(self, seconds: float = 1.5) -> bool:
        self.pulses.append(seconds)
        self._changed()
        return True

    def open(self) -> bool:
        return True

    def close(self) -> bool:
        self.closes += 1
        self._changed()
        return True

    def health(self) -> Health:
        return self.state

    def shutdown(self) -> None:
        """Nothing to release."""
