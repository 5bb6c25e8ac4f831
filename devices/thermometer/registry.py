"""Parsers by protocol name, as used in ``--thermometer ...?protocol=NAME``."""

from __future__ import annotations

from collections.abc import Callable

from devices.thermometer.binary import GyMcu90614, Idc50, Lu90614
from devices.thermometer.frames import FrameParser
from devices.thermometer.text import AsciiLines, Idc50Ascii

PARSERS: dict[str, Callable[[str], FrameParser]] = {
    "gy-mcu90614": GyMcu90614,
    "lu90614": Lu90614,
    "idc50": Idc50,
    "idc50-ascii": Idc50Ascii,
    "ascii": AsciiLines,
}


def make_parser(name: str, sensor: str) -> FrameParser:
    try:
        factory = PARSERS[name]
    except KeyError:
        raise ValueError(f"unknown thermometer protocol {name!r}: {', '.join(PARSERS)}") from None
    return factory(sensor)
