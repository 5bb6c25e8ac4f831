"""Infrared thermometers, one family: the contract, the frame parsers, the driver, the simulator.

- :mod:`.contract`   ``Thermometer``: what the gate agent needs of any thermometer
- :mod:`.front`      ``open_thermometer(url)``: the thermometer a setting names
- :mod:`.frames`     ``Reading`` / ``Fault`` and the byte helpers of the binary modules
- :mod:`.binary`, :mod:`.text`  one pure incremental parser per module family
- :mod:`.registry`   parsers by protocol name (``?protocol=lu90614``)
- :mod:`.driver`     ``SerialThermometer``: any module on any pyserial URL
- :mod:`.screening`  surface->body offset, ambient health
- :mod:`.simulator`  ``ThermometerSimulator``: real protocol bytes on a pseudo-terminal

The family's contract tests (``tests/thermometer/test_contract.py``) run the driver
against the simulator on a pty and against frames sent over ``socket://``.
"""

from devices.thermometer.contract import Thermometer
from devices.thermometer.frames import Event, Fault, FrameParser, Reading
from devices.thermometer.front import open_thermometer
from devices.thermometer.registry import PARSERS, make_parser

__all__ = [
    "PARSERS",
    "Event",
    "Fault",
    "FrameParser",
    "Reading",
    "Thermometer",
    "make_parser",
    "open_thermometer",
]
