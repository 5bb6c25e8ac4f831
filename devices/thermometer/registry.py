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


SURFACE_ONLY: frozenset[str] = frozenset({"gy-mcu90614"})
"""Modules that read skin (surface) temperature only: they screen nobody without ``offset=``."""


TRIGGERED: frozenset[str] = frozenset({"idc50", "idc50-ascii"})
"""Modules that send only when someone is measured: silence from them is no fault."""


def missing_offset(protocol: str, offset: object) -> str | None:
    """Why a module cannot screen as configured (naming the setting), or None."""
    if protocol in SURFACE_ONLY and offset is None:
        return (
            f"unconfigured: {protocol} reads skin temperature; set offset= in the thermometer "
            "URL (the skin->body offset in C, e.g. &offset=2.5) or nobody is screened"
        )
    return None


def make_parser(name: str, sensor: str) -> FrameParser:
    try:
        factory = PARSERS[name]
    except KeyError:
        raise ValueError(f"unknown thermometer protocol {name!r}: {', '.join(PARSERS)}") from None
    return factory(sensor)
