"""LCUS-1 style USB relay frames (DESIGN section 2), built and parsed without I/O.

A command is four bytes: ``A0``, the relay number (1..8), the state (``01``
closes the contact, ``00`` opens it) and SUM, the low byte of the sum of the
first three.  ``A0 01 01 A2`` closes relay 1; ``A0 01 00 A1`` opens it.
The boards send nothing back.  :class:`FrameParser` is the board's side, used
by the simulator: an incremental state machine that resynchronises on ``A0``.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = 0xA0
FRAME_LENGTH = 4
RELAY_MIN = 1
RELAY_MAX = 8
STATE_OPEN = 0x00
STATE_CLOSED = 0x01


def checksum(data: bytes) -> int:
    """The low byte of the sum of ``data``."""
    return sum(data) & 0xFF


def command_frame(relay: int, closed: bool) -> bytes:
    """The frame that closes (``closed=True``) or opens relay ``relay``."""
    if not RELAY_MIN <= relay <= RELAY_MAX:
        raise ValueError(f"relay number {relay} is outside {RELAY_MIN}..{RELAY_MAX}")
    body = bytes((HEADER, relay, STATE_CLOSED if closed else STATE_OPEN))
    return body + bytes((checksum(body),))


@dataclass(frozen=True, slots=True)
class RelayCommand:
    """A valid command: set relay ``relay`` closed (energised) or open."""

    relay: int
    closed: bool


@dataclass(frozen=True, slots=True)
class BadFrame:
    """Bytes that are not a valid command, and why."""

    reason: str
    raw: bytes


class FrameParser:
    """Bytes in, :class:`RelayCommand` or :class:`BadFrame` out; never raises.

    Bytes before a header are skipped (reported as ``no_header``); a frame with
    a wrong checksum, relay number or state is rejected and the search for the
    next header restarts at its second byte, so a good frame right after a
    corrupted one is not lost.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[RelayCommand | BadFrame]:
        self._buffer += data
        results: list[RelayCommand | BadFrame] = []
        while self._buffer:
            start = self._buffer.find(HEADER)
            if start != 0:
                skipped = bytes(self._buffer if start < 0 else self._buffer[:start])
                del self._buffer[: len(skipped)]
                results.append(BadFrame("no_header", skipped))
                continue
            if len(self._buffer) < FRAME_LENGTH:
                break
            frame = bytes(self._buffer[:FRAME_LENGTH])
            reason = _problem(frame)
            if reason is None:
                del self._buffer[:FRAME_LENGTH]
                results.append(RelayCommand(relay=frame[1], closed=frame[2] == STATE_CLOSED))
            else:
                del self._buffer[:1]
                results.append(BadFrame(reason, frame))
        return results


def _problem(frame: bytes) -> str | None:
    if checksum(frame[:3]) != frame[3]:
        return "bad_checksum"
    if not RELAY_MIN <= frame[1] <= RELAY_MAX:
        return "bad_relay"
    if frame[2] not in (STATE_OPEN, STATE_CLOSED):
        return "bad_state"
    return None
