"""The plate-reader contract: a number-plate camera (or its simulator) that reports plates.

A :class:`PlateReader` is a running device: ``start()``, then ``next_read(timeout)``
hands out one :class:`PlateRead` per plate it recognised, in order, already in the
canonical form (``kernel.plates``); ``health()`` says whether it can be trusted;
``stop()`` ends it.  What the camera sends is parsed by :class:`PlateLines`, the
same for the driver and the simulator, so garbage never becomes a plate.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from devices.health import Health
from kernel.plates import plate_or_none

MAX_LINE_BYTES = 64
"""A plate line is short; longer input is dropped up to its end (never buffered without bound)."""
READ_QUEUE_MAX = 32
"""Plates kept for a consumer that does not keep up; the oldest goes beyond this."""
DEFAULT_CONFIDENCE = Decimal("1")


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A plate recognised: canonical text, the camera's confidence (0..1), the reader's name."""

    plate: str
    confidence: Decimal
    reader: str


class PlateReader(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> Health: ...

    def next_read(self, timeout: float) -> PlateRead | None:
        """The next plate recognised, or None when none came within ``timeout`` seconds."""
        ...


class PlateLines:
    """Incremental parser of the ASCII line form: ``<plate>[,<confidence>]`` and CR/LF.

    Bytes in, plates out.  A line that is not UTF-8, not a plate, or carries a
    confidence outside 0..1 is counted in ``rejected`` and dropped.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overlong = False
        self.rejected = 0

    def feed(self, data: bytes) -> Iterator[tuple[str, Decimal]]:
        for byte in data:
            if byte in b"\r\n":
                line, overlong = bytes(self._buffer), self._overlong
                self._buffer.clear()
                self._overlong = False
                if overlong:
                    self.rejected += 1
                elif line:
                    parsed = self._parse(line)
                    if parsed is not None:
                        yield parsed
            elif len(self._buffer) >= MAX_LINE_BYTES:
                self._overlong = True
            else:
                self._buffer.append(byte)

    def _parse(self, line: bytes) -> tuple[str, Decimal] | None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self.rejected += 1
            return None
        plate_text, _comma, confidence_text = text.partition(",")
        plate = plate_or_none(plate_text)
        try:
            confidence = Decimal(confidence_text) if confidence_text else DEFAULT_CONFIDENCE
        except InvalidOperation:
            confidence = Decimal(-1)
        if plate is None or not Decimal(0) <= confidence <= Decimal(1):
            self.rejected += 1
            return None
        return plate, confidence


class ReadQueue:
    """The reads of one reader: bounded, oldest dropped, safe across threads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.Queue[PlateRead] = queue.Queue(READ_QUEUE_MAX)
        self._lock = threading.Lock()

    def put(self, plate: str, confidence: Decimal) -> None:
        read = PlateRead(plate, confidence, self.name)
        with self._lock:
            if self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(read)

    def get(self, timeout: float) -> PlateRead | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
