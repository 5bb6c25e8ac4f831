"""A plate camera without the camera: ``show(plate)`` is a car driving up.

What is shown goes through the same line parser as the real driver's bytes, so a
malformed plate is dropped here exactly as there (``raw`` sends bytes as they are).
"""

from __future__ import annotations

from decimal import Decimal

from devices.health import OK, Health
from devices.plate_reader.contract import PlateLines, PlateRead, ReadQueue


class SimulatedPlateReader:
    def __init__(self, name: str = "plate-sim") -> None:
        self.name = name
        self._lines = PlateLines()
        self._reads = ReadQueue(name)
        self._running = False

    def start(self) -> None:
        self._running = True

    def stop(self) -> None:
        self._running = False

    def health(self) -> Health:
        return OK if self._running else ("fault", "not started")

    def next_read(self, timeout: float) -> PlateRead | None:
        return self._reads.get(timeout)

    @property
    def rejected(self) -> int:
        return self._lines.rejected

    def show(self, plate: str, confidence: Decimal | None = None) -> None:
        """A vehicle with ``plate`` in front of the camera."""
        suffix = f",{confidence}" if confidence is not None else ""
        self.raw(f"{plate}{suffix}\r\n".encode())

    def raw(self, data: bytes) -> None:
        if not self._running:
            return
        for plate, confidence in self._lines.feed(data):
            self._reads.put(plate, confidence)
