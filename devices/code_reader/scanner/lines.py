"""Line framing for barcode scanners: bytes in, code texts or rejections out.

A pure incremental state machine with no I/O.  Lines end at CR, LF or CRLF;
empty lines (the LF of a CRLF) are skipped.  A line is rejected, with a
reason, when it is longer than ``max_length`` bytes (``too_long``, reported
once, the rest discarded up to the next line end), not UTF-8 (``not_utf8``),
holds a non-printable character (``non_printable``), is only blanks
(``blank``), or stops without a line end for ``LINE_TIMEOUT_S``
(``unterminated``, see :meth:`LineParser.expire`).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.code_reader.contract import MAX_CODE_LENGTH, text_problem

LINE_TIMEOUT_S = 0.5
"""A partial line whose last byte is older than this is dropped (scanners send
whole lines; a 2 kB line at 9600 baud takes 2 s, so this is a gap, not a total)."""
TERMINATORS = b"\r\n"


@dataclass(frozen=True, slots=True)
class Line:
    """A line that is an acceptable code text."""

    text: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that is not a code: why, and how many bytes it had."""

    reason: str
    size: int


class LineParser:
    """Splits a byte stream into :class:`Line` and :class:`Rejected` results."""

    def __init__(self, max_length: int = MAX_CODE_LENGTH) -> None:
        self.max_length = max_length
        self._buffer = bytearray()
        self._discarding = 0
        self._last_byte_at = 0.0

    def feed(self, data: bytes, now: float = 0.0) -> list[Line | Rejected]:
        """Results for the lines completed by ``data``; ``now`` dates a partial line."""
        results: list[Line | Rejected] = []
        start = 0
        for index, byte in enumerate(data):
            if byte in TERMINATORS:
                self._take(data[start:index])
                start = index + 1
                result = self._finish()
                if result is not None:
                    results.append(result)
        self._take(data[start:])
        if data:
            self._last_byte_at = now
        if len(self._buffer) > self.max_length:
            self._discarding = len(self._buffer)
            self._buffer.clear()
            results.append(Rejected("too_long", self._discarding))
        return results

    def expire(self, now: float) -> list[Line | Rejected]:
        """End a partial line when no byte came for ``LINE_TIMEOUT_S``: it is dropped."""
        if now - self._last_byte_at < LINE_TIMEOUT_S:
            return []
        if self._discarding:
            self._discarding = 0  # already reported as too_long
            return []
        if not self._buffer:
            return []
        size = len(self._buffer)
        self._buffer.clear()
        return [Rejected("unterminated", size)]

    def _take(self, chunk: bytes) -> None:
        if self._discarding:
            self._discarding += len(chunk)
        else:
            self._buffer += chunk

    def _finish(self) -> Line | Rejected | None:
        if self._discarding:
            self._discarding = 0  # the too_long rejection was reported already
            return None
        raw = bytes(self._buffer)
        self._buffer.clear()
        if not raw:
            return None
        problem = text_problem(raw) if len(raw) <= self.max_length else "too_long"
        if problem is not None:
            return Rejected(problem, len(raw))
        text = raw.decode("utf-8")
        if not text.strip():
            return Rejected("blank", len(raw))
        return Line(text)
