"""``open_thermometer(url)``: the thermometer a lane's setting names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from devices.thermometer import open_thermometer
from devices.thermometer.driver import SerialThermometer
from kernel.clock import FixedClock
from kernel.errors import ConfigError

CLOCK = FixedClock(datetime(2026, 11, 22, tzinfo=UTC))


def test_none_is_a_lane_where_guards_measure_by_hand() -> None:
    assert open_thermometer("none", clock=CLOCK) is None
    assert open_thermometer(" None ", clock=CLOCK) is None


def test_the_url_carries_the_port_and_the_modules_options() -> None:
    chosen = open_thermometer(
        "serial:///dev/ttyUSB0?protocol=gy-mcu90614&offset=2.5&sensor=ir-east&baud=19200",
        clock=CLOCK,
    )
    assert isinstance(chosen, SerialThermometer)
    assert (chosen.url, chosen.baudrate, chosen.parser.sensor) == ("/dev/ttyUSB0", 19200, "ir-east")
    assert chosen.surface_offset == Decimal("2.5")


def test_defaults_are_the_modules_own_rate_no_offset_and_sensor_ir_0() -> None:
    chosen = open_thermometer("serial+socket://10.0.0.9:4001?protocol=idc50", clock=CLOCK)
    assert isinstance(chosen, SerialThermometer)
    assert (chosen.url, chosen.baudrate, chosen.parser.sensor) == (
        "socket://10.0.0.9:4001",
        115200,
        "ir-0",
    )
    assert chosen.surface_offset is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/x", "protocol= one of"),
        ("serial:///dev/x?protocol=nope", "protocol= one of"),
        ("serial:///dev/x?protocol=ascii&baud=fast", "baud='fast' is not a number"),
        ("serial:///dev/x?protocol=lu90614&offset=9", "outside 0..5 C"),
        ("serial:///dev/x?protocol=lu90614&offset=-1", "outside 0..5 C"),
        ("serial:///dev/x?protocol=lu90614&offset=warm", "offset='warm' is not a number"),
        ("/dev/ttyUSB0", "not a serial device URL"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_thermometer(url, clock=CLOCK)
