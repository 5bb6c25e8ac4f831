"""Infrared thermometers: pure frame parsers per module family (driver and simulator follow)."""

from devices.thermometer.frames import Fault, FrameParser, Reading
from devices.thermometer.registry import PARSERS, make_parser

__all__ = ["PARSERS", "Fault", "FrameParser", "Reading", "make_parser"]
