"""``open_plate_reader(url)``: the plate camera a setting names.

``sim`` gives :class:`SimulatedPlateReader`; any serial URL (``serial:///dev/ttyUSB2``,
``serial+socket://10.0.0.7:4001``; :mod:`devices.serial_url`) a :class:`LinePlateReader`;
``none`` (or no setting): None, a lane where the guard types the plate.
"""

from __future__ import annotations

from devices.plate_reader.contract import PlateReader
from devices.plate_reader.lines import BAUD, LinePlateReader
from devices.plate_reader.simulator import SimulatedPlateReader
from devices.serial_url import is_none, parse_serial_url


def open_plate_reader(url: str | None, *, name: str = "plate-camera") -> PlateReader | None:
    """The plate reader (not started), or None where the lane has none."""
    if url is None or is_none(url):
        return None
    if url == "sim":
        return SimulatedPlateReader(name)
    spec = parse_serial_url(url)
    baud = spec.number("baud")
    return LinePlateReader(spec.port, name=name, baudrate=BAUD if baud is None else baud)
