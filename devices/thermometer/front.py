"""``open_thermometer(url)``: the thermometer a setting names.

``serial:///dev/ttyUSB0?protocol=gy-mcu90614&offset=2.5`` (any form of
:mod:`devices.serial_url`) with options ``protocol`` (required, one of
:data:`~devices.thermometer.registry.PARSERS`), ``baud`` (the module's own rate by
default), ``sensor`` (the name readings carry; by default the caller's
``default_sensor``, ``<gate>/thermometer`` at a gate, so every thermometer is its own
row in the false-fever report) and ``offset`` (the surface->body offset in C, 0..5);
``none`` for a lane where guards measure by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from devices.serial_url import is_none, parse_serial_url
from devices.thermometer.contract import Event, Thermometer
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.registry import PARSERS
from kernel.clock import Clock
from kernel.errors import ConfigError

DEFAULT_SENSOR = "ir-0"
MAX_SURFACE_OFFSET_C = Decimal("5")


def open_thermometer(
    url: str,
    *,
    clock: Clock,
    on_event: Callable[[Event], None] | None = None,
    default_sensor: str = DEFAULT_SENSOR,
) -> Thermometer | None:
    """The thermometer driver (not started), or None for ``none``."""
    if is_none(url):
        return None
    spec = parse_serial_url(url)
    protocol = spec.option("protocol")
    if protocol not in PARSERS:
        raise ConfigError(f"thermometer URL needs protocol= one of {', '.join(PARSERS)}: {url!r}")
    baudrate = spec.number("baud")
    offset = spec.decimal("offset")
    if offset is not None and not Decimal("0") <= offset <= MAX_SURFACE_OFFSET_C:
        raise ConfigError(f"surface offset {offset} C is outside 0..{MAX_SURFACE_OFFSET_C} C")
    return SerialThermometer(
        spec.port,
        protocol=protocol,
        sensor=spec.option("sensor") or default_sensor,
        clock=clock,
        baudrate=baudrate,
        on_event=on_event,
        surface_offset=offset,
    )
