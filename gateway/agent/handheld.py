"""Handheld mode: the guard measures with a handheld thermometer and types the reading.

The lane is in handheld mode while its thermometer is absent, faulted or
unconfigured (automatically), or while the guard chose it.  Then a scan is not
paired with the infrared module's readings: the guard types each person's reading
once, before or after their scan, and the two make one passage with
``sensor=handheld``, decided in one step (not a ``recheck`` and then a re-measure).

Pure, like the pairer: the caller hands in monotonic times.  Scans and readings
queue in order (people queue at a lane); a scan whose reading does not come within
``HANDHELD_WAIT_S`` goes out without a temperature (the decision asks for one), and
a typed reading nobody's scan claimed within that time is dropped.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from devices.thermometer.frames import Reading
from gateway.pairing import Paired
from gateway.pairing.pairer import credential_for

log = logging.getLogger(__name__)

HANDHELD_SENSOR = "handheld"
HANDHELD_WAIT_S = 120.0
"""How long a scan waits for the guard's typed reading, and a typed reading for a scan."""
MAX_QUEUED = 16
"""Scans (or readings) waiting for their other half; older ones go out or are dropped."""

HANDHELD_MIN_C = Decimal("30")
HANDHELD_MAX_C = Decimal("45")
"""What a person's typed reading may be; the decision judges plausibility within it."""

Choice = Literal["auto", "handheld", "thermometer"]


def handheld_celsius(value: Decimal | str) -> Decimal:
    """A typed reading as a Decimal, or ValueError (not a number, out of range, 3+ decimals)."""
    try:
        celsius = Decimal(value)
    except ArithmeticError as exc:
        raise ValueError(f"not a temperature: {str(value)[:16]!r}") from exc
    if not celsius.is_finite() or not HANDHELD_MIN_C <= celsius <= HANDHELD_MAX_C:
        raise ValueError(f"a handheld reading is between {HANDHELD_MIN_C} and {HANDHELD_MAX_C} C")
    if celsius != celsius.quantize(Decimal("0.01")):
        raise ValueError("a handheld reading has at most two decimals")
    return celsius


@dataclass(frozen=True, slots=True)
class _Held:
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class _Typed:
    reading: Reading
    at: float


class Handheld:
    """Whether the lane is in handheld mode, and its scans and typed readings."""

    def __init__(self, *, wait_s: float = HANDHELD_WAIT_S) -> None:
        self.wait_s = wait_s
        self.choice: Choice = "auto"
        self.thermometer_usable = True
        self._scans: deque[_Held] = deque()
        self._readings: deque[_Typed] = deque()

    @property
    def active(self) -> bool:
        if self.choice == "auto":
            return not self.thermometer_usable
        return self.choice == "handheld"

    @property
    def waiting_scans(self) -> int:
        return len(self._scans)

    @property
    def waiting_readings(self) -> int:
        return len(self._readings)

    def follow(self, usable: bool, *, gate: str) -> list[Paired]:
        """The thermometer became usable or not; returns scans to send when leaving."""
        was = self.active
        self.thermometer_usable = usable
        return self._changed(was, gate)

    def choose(self, choice: Choice, *, gate: str) -> list[Paired]:
        """The guard's choice; returns scans to send when leaving handheld mode."""
        was = self.active
        self.choice = choice
        return self._changed(was, gate)

    def _changed(self, was: bool, gate: str) -> list[Paired]:
        if was == self.active:
            return []
        log.warning(
            "gate %s: screening now by %s", gate, "handheld" if self.active else "thermometer"
        )
        return self.flush() if was else []

    def scan(self, text: str, now: float) -> list[Paired]:
        """A scan in handheld mode: paired with a reading typed before it, or held."""
        if self._readings:
            return [_paired(text, self._readings.popleft().reading)]
        out = self.tick(now)
        self._scans.append(_Held(text, now))
        while len(self._scans) > MAX_QUEUED:
            out.append(_unpaired(self._scans.popleft().text))
        return out

    def typed(self, celsius: Decimal, at: datetime, now: float) -> list[Paired]:
        """The guard's reading: for the oldest held scan, or kept for the next scan."""
        reading = Reading("body", HANDHELD_SENSOR, celsius, at)
        if self._scans:
            return [_paired(self._scans.popleft().text, reading)]
        self._readings.append(_Typed(reading, now))
        while len(self._readings) > MAX_QUEUED:
            self._readings.popleft()
        return []

    def tick(self, now: float) -> list[Paired]:
        """Scans that waited too long go out without a temperature; old readings go."""
        out: list[Paired] = []
        while self._scans and now - self._scans[0].at >= self.wait_s:
            out.append(_unpaired(self._scans.popleft().text))
        while self._readings and now - self._readings[0].at >= self.wait_s:
            self._readings.popleft()
        return out

    def flush(self) -> list[Paired]:
        """Leaving handheld mode: held scans go out now; typed readings are dropped."""
        out = [_unpaired(held.text) for held in self._scans]
        self._scans.clear()
        self._readings.clear()
        return out

    def next_deadline(self) -> float | None:
        firsts = [q[0].at for q in (self._scans, self._readings) if q]
        return min(firsts) + self.wait_s if firsts else None


def _paired(text: str, reading: Reading) -> Paired:
    return Paired((credential_for(text),), reading, "paired")


def _unpaired(text: str) -> Paired:
    return Paired((credential_for(text),), None, "no_reading")
