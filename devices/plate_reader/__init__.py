"""Number-plate readers: the contract, the line-protocol camera driver, the simulator,
and ``open_plate_reader(url)``."""

from devices.plate_reader.contract import PlateLines, PlateRead, PlateReader
from devices.plate_reader.front import open_plate_reader
from devices.plate_reader.lines import LinePlateReader
from devices.plate_reader.simulator import SimulatedPlateReader

__all__ = [
    "LinePlateReader",
    "PlateLines",
    "PlateRead",
    "PlateReader",
    "SimulatedPlateReader",
    "open_plate_reader",
]
