"""Text module families: plain ASCII lines, and IDC-50 ASCII frames between ``{`` and ``}``."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from devices.thermometer.frames import Event, Fault, Kind, reading_or_fault

MAX_LINE = 64
VALUE = r"(-?[0-9]{1,3}(?:\.[0-9]{1,2})?)"
LINE_RE = re.compile(rf"^(?:(T|BODY|AMB|SURF)[=:])?{VALUE}$")
LINE_KINDS: dict[str, Kind] = {"T": "body", "BODY": "body", "AMB": "ambient", "SURF": "surface"}


class _Delimited:
    baudrate: ClassVar[int] = 9600
    start_command: ClassVar[bytes] = b""
    opener: ClassVar[bytes | None] = None
    terminator: ClassVar[bytes] = b"\n"

    def __init__(self, sensor: str) -> None:
        self.sensor = sensor
        self._buffer = bytearray()
        self._mid_line = False

    def restart(self) -> None:
        # Opened while the module was sending: the first bytes may be the tail of a line
        # ("74\r\n" of "BODY:36.74\r\n" reads as 74 C). Framings with an opener find the
        # next frame by it; plain lines are trusted only after the first terminator.
        self._buffer.clear()
        self._mid_line = self.opener is None

    def parse(self, text: str, now: datetime) -> Event:
        raise NotImplementedError

    def feed(self, data: bytes, now: datetime) -> list[Event]:
        self._buffer += data
        events: list[Event] = []
        if self._mid_line:
            end = self._buffer.find(self.terminator)
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    self._buffer.clear()  # no terminator in sight: the next bytes start afresh
                    self._mid_line = False
                return events
            del self._buffer[: end + len(self.terminator)]
            self._mid_line = False
        while True:
            if self.opener is not None:
                start = self._buffer.find(self.opener)
                if start < 0:
                    if self._buffer.strip():
                        events.append(Fault("garbage", f"{len(self._buffer)} byte(s)", now))
                    self._buffer.clear()
                    break
                if self._buffer[:start].strip():
                    events.append(Fault("garbage", f"{start} byte(s) before a frame", now))
                del self._buffer[:start]
            end = self._buffer.find(self.terminator)
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    events.append(Fault("overlong", f"{len(self._buffer)} bytes unterminated", now))
                    self._buffer.clear()
                    self._mid_line = self.opener is None  # the rest of that line is no reading
                break
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + len(self.terminator)]
            if len(raw) > MAX_LINE:
                events.append(Fault("overlong", f"{len(raw)} byte line", now))
                continue
            text = raw.decode("ascii", "replace").strip().lstrip("{")
            if text:
                events.append(self.parse(text, now))
        return events


class AsciiLines(_Delimited):
    """``36.6``, ``T=36.62``, ``BODY:36.6``, ``AMB:24.1``, ``SURF:34.2`` per line."""

    def parse(self, text: str, now: datetime) -> Event:
        match = LINE_RE.fullmatch(text.upper())
        if match is None:
            return Fault("garbage", repr(text[:32]), now)
        kind = LINE_KINDS.get(match.group(1) or "T", "body")
        return reading_or_fault(kind, self.sensor, Decimal(match.group(2)), now)


class Idc50Ascii(_Delimited):
    """IDC-50 ASCII: ``{36.6}`` or ``{T:36.6}`` (body) at 115200 baud."""

    baudrate: ClassVar[int] = 115200
    opener: ClassVar[bytes | None] = b"{"
    terminator: ClassVar[bytes] = b"}"

    def parse(self, text: str, now: datetime) -> Event:
        match = LINE_RE.fullmatch(text.upper())
        if match is None or match.group(1) not in (None, "T", "BODY"):
            return Fault("garbage", repr(text[:32]), now)
        return reading_or_fault("body", self.sensor, Decimal(match.group(2)), now)
