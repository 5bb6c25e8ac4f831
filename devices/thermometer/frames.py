"""What a thermometer parser produces, and the byte helpers shared by the binary families.

Parsers are pure incremental state machines: bytes in (any split), readings and
faults out; the caller passes the time.  A checksum failure, junk or an
out-of-range value is a :class:`Fault`, never a :class:`Reading`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal, Protocol

Kind = Literal["body", "surface", "ambient"]
FaultReason = Literal["checksum", "garbage", "out_of_range", "overlong"]

JUNK_REPORT_BYTES = 64
"""Junk is reported as a fault once this much piled up with no frame in it (a module
speaking another protocol, the wrong baud rate), not only before the next good frame."""

# What any supported sensor can physically report (MLX90614 range).
SENSOR_MIN = Decimal("-40")
SENSOR_MAX = Decimal("125")


@dataclass(frozen=True, slots=True)
class Reading:
    kind: Kind
    sensor: str
    celsius: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class Fault:
    reason: FaultReason
    detail: str
    at: datetime


Event = Reading | Fault


class FrameParser(Protocol):
    baudrate: ClassVar[int]
    start_command: ClassVar[bytes]

    def feed(self, data: bytes, now: datetime) -> list[Event]: ...

    def restart(self) -> None:
        """The port was (re)opened: the stream resumes at an unknown point of a frame."""
        ...


def checksum(frame: bytes) -> int:
    """The low byte of the sum of the bytes (DESIGN section 2)."""
    return sum(frame) & 0xFF


def reading_or_fault(kind: Kind, sensor: str, celsius: Decimal, now: datetime) -> Event:
    if not SENSOR_MIN <= celsius <= SENSOR_MAX:
        return Fault("out_of_range", f"{kind} {celsius} C outside the sensor range", now)
    return Reading(kind, sensor, celsius, now)


class BinaryFrameParser:
    """Shared resynchronising scanner for fixed-length frames that start with a header."""

    header: ClassVar[bytes]
    length: ClassVar[int]
    baudrate: ClassVar[int] = 9600
    start_command: ClassVar[bytes] = b""

    def __init__(self, sensor: str) -> None:
        self.sensor = sensor
        self._buffer = bytearray()
        self._junk = 0

    def decode(self, frame: bytes, now: datetime) -> list[Event] | None:
        """Events of a checksummed frame, or None when its layout is not valid."""
        raise NotImplementedError

    def restart(self) -> None:
        # A header search finds the next whole frame; only the old half-frame must go.
        self._buffer.clear()
        self._junk = 0

    def _flush_junk(self, events: list[Event], now: datetime) -> None:
        if self._junk:
            events.append(Fault("garbage", f"{self._junk} byte(s) skipped", now))
            self._junk = 0

    def feed(self, data: bytes, now: datetime) -> list[Event]:
        self._buffer += data
        events: list[Event] = []
        buffer = self._buffer
        while buffer:
            start = buffer.find(self.header[:1])
            if start < 0:
                self._junk += len(buffer)
                buffer.clear()
                break
            if start:
                self._junk += start
                del buffer[:start]
            head = bytes(buffer[: len(self.header)])
            if not self.header.startswith(head):
                self._junk += 1
                del buffer[:1]
                continue
            if len(buffer) < self.length:
                break  # wait for the rest of the frame
            frame = bytes(buffer[: self.length])
            if checksum(frame[:-1]) != frame[-1]:
                self._flush_junk(events, now)
                events.append(Fault("checksum", frame.hex(" "), now))
                del buffer[:1]  # resynchronise: a real frame may start inside this one
                continue
            decoded = self.decode(frame, now)
            if decoded is None:
                self._junk += 1
                del buffer[:1]
                continue
            self._flush_junk(events, now)
            events.extend(decoded)
            del buffer[: self.length]
        if self._junk >= JUNK_REPORT_BYTES:
            self._flush_junk(events, now)
        return events
