"""The binary module families of DESIGN section 2 and their frame builders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from devices.thermometer.frames import BinaryFrameParser, Event, checksum, reading_or_fault

HUNDREDTH = Decimal("0.01")
TENTH = Decimal("0.1")


def _with_sum(body: bytes) -> bytes:
    return body + bytes([checksum(body)])


class GyMcu90614(BinaryFrameParser):
    """GY-MCU90614/90615: ``5A 5A 45 04 TOH TOL TAH TAL SUM``; object is a surface reading."""

    header: ClassVar[bytes] = b"\x5a\x5a\x45\x04"
    length: ClassVar[int] = 9
    baudrate: ClassVar[int] = 9600
    start_command: ClassVar[bytes] = bytes.fromhex("a5 45 ea")  # continuous output
    query_command: ClassVar[bytes] = bytes.fromhex("a5 15 ba")

    def decode(self, frame: bytes, now: datetime) -> list[Event] | None:
        obj = int.from_bytes(frame[4:6], "big", signed=True)
        amb = int.from_bytes(frame[6:8], "big", signed=True)
        return [
            reading_or_fault("surface", self.sensor, obj * HUNDREDTH, now),
            reading_or_fault("ambient", self.sensor, amb * HUNDREDTH, now),
        ]

    @staticmethod
    def build(surface: Decimal, ambient: Decimal) -> bytes:
        values = [int((v / HUNDREDTH).to_integral_value()) for v in (surface, ambient)]
        body = GyMcu90614.header + b"".join(v.to_bytes(2, "big", signed=True) for v in values)
        return _with_sum(body)


class Lu90614(BinaryFrameParser):
    """LU90614: ``FE <AA object|AC body> INT FRAC 00 00 00 00 SUM``; FRAC in hundredths."""

    header: ClassVar[bytes] = b"\xfe"
    length: ClassVar[int] = 9
    baudrate: ClassVar[int] = 9600
    start_command: ClassVar[bytes] = bytes.fromhex("fa c5 bf")  # body mode
    measure_command: ClassVar[bytes] = bytes.fromhex("fa ca c4")
    KINDS: ClassVar[dict[int, str]] = {0xAA: "surface", 0xAC: "body"}

    def decode(self, frame: bytes, now: datetime) -> list[Event] | None:
        kind = self.KINDS.get(frame[1])
        if kind is None or frame[4:8] != b"\x00\x00\x00\x00" or frame[3] > 99:
            return None
        celsius = frame[2] + frame[3] * HUNDREDTH
        return [reading_or_fault(kind, self.sensor, celsius, now)]  # type: ignore[arg-type]

    @staticmethod
    def build(celsius: Decimal, *, body: bool = True) -> bytes:
        hundredths = int((celsius / HUNDREDTH).to_integral_value())
        whole, frac = divmod(hundredths, 100)
        return _with_sum(bytes([0xFE, 0xAC if body else 0xAA, whole, frac, 0, 0, 0, 0]))


class Idc50(BinaryFrameParser):
    """IDC-50 style kiosk module, binary: ``AA 55 06 <int> <tenth> SUM`` (body)."""

    header: ClassVar[bytes] = b"\xaa\x55\x06"
    length: ClassVar[int] = 6
    baudrate: ClassVar[int] = 115200
    start_command: ClassVar[bytes] = b""

    def decode(self, frame: bytes, now: datetime) -> list[Event] | None:
        if frame[4] > 9:
            return None
        return [reading_or_fault("body", self.sensor, frame[3] + frame[4] * TENTH, now)]

    @staticmethod
    def build(celsius: Decimal) -> bytes:
        tenths = int((celsius / TENTH).to_integral_value())
        whole, tenth = divmod(tenths, 10)
        return _with_sum(Idc50.header + bytes([whole, tenth]))
