"""From raw readings to what screening may use: surface->body offset, ambient health."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from devices.health import OK, Health
from devices.thermometer.frames import Reading

# Module operating range (DESIGN section 2): outside it, readings are not trusted.
AMBIENT_LOW = Decimal("16")
AMBIENT_HIGH = Decimal("40")


class BodyConverter:
    """Turns surface readings into body readings by a configured offset.

    Without a converter a surface reading is never compared with the fever
    threshold; body readings pass through and ambient readings are not body
    temperatures at all.
    """

    def __init__(self, offset: Decimal) -> None:
        self.offset = offset

    def body(self, reading: Reading) -> Reading | None:
        if reading.kind == "body":
            return reading
        if reading.kind == "surface":
            return replace(reading, kind="body", celsius=reading.celsius + self.offset)
        return None


def body_reading(reading: Reading, converter: BodyConverter | None) -> Reading | None:
    """The body temperature in ``reading``, if there is one to screen with."""
    if converter is not None:
        return converter.body(reading)
    return reading if reading.kind == "body" else None


class ScreeningHealth:
    """Screening is degraded while the last ambient reading is outside the operating range."""

    def __init__(self, low: Decimal = AMBIENT_LOW, high: Decimal = AMBIENT_HIGH) -> None:
        self.low, self.high = low, high
        self._ambient: Decimal | None = None

    def observe(self, reading: Reading) -> None:
        if reading.kind == "ambient":
            self._ambient = reading.celsius

    def state(self) -> Health:
        if self._ambient is not None and not self.low <= self._ambient <= self.high:
            return "degraded", (
                f"ambient {self._ambient} C outside {self.low}-{self.high} C: readings unreliable"
            )
        return OK
