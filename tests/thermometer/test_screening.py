"""Only body readings (or surface readings through a configured offset) are screened."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from devices.thermometer import Reading
from devices.thermometer.screening import BodyConverter, ScreeningHealth, body_reading

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def reading(kind: str, celsius: str) -> Reading:
    return Reading(kind, "ir-0", Decimal(celsius), NOW)  # type: ignore[arg-type]


def test_surface_needs_an_offset() -> None:
    surface = reading("surface", "34.6")
    assert body_reading(surface, None) is None
    converted = body_reading(surface, BodyConverter(Decimal("2.7")))
    assert converted is not None
    assert (converted.kind, converted.celsius) == ("body", Decimal("37.3"))
    assert body_reading(reading("ambient", "22.0"), BodyConverter(Decimal("2.7"))) is None
    assert body_reading(reading("body", "36.6"), None) == reading("body", "36.6")


def test_ambient_outside_the_operating_range_degrades_screening() -> None:
    health = ScreeningHealth()
    assert health.state() == ("ok", "")
    health.observe(reading("ambient", "12.5"))
    state, detail = health.state()
    assert state == "degraded"
    assert "12.5" in detail
    health.observe(reading("body", "36.6"))
    assert health.state()[0] == "degraded"
    health.observe(reading("ambient", "21.0"))
    assert health.state() == ("ok", "")
