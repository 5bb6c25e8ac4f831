"""The code-reader contract shared by cameras and scanners.

A :class:`CodeDecoder` turns one frame into the codes it shows; a
:class:`CodeReader` is a running device (camera, serial scanner, keyboard
wedge) that emits one :class:`Scan` per code presented, de-duplicated by a
:class:`Cooldown`.  :class:`ReaderCore` holds what every reader shares: health,
counters, de-duplication and delivery.  This module imports nothing heavy (no
OpenCV, no numpy at run time) so scanners and the gate agent use it cheaply.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

from devices.health import Health, HealthState
from kernel.clock import Monotonic
from kernel.errors import CampusgateError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Frame: TypeAlias = npt.NDArray[np.uint8]
    """A grayscale (H, W) or BGR (H, W, 3) 8-bit image."""

log = logging.getLogger(__name__)

SCAN_COOLDOWN_S = 3.0
"""The same code seen again within this many seconds of its last sighting is one scan."""
MAX_CODE_LENGTH = 2048
"""Longer texts are rejected: no credential on the wire may be longer (schemas)."""
SCAN_QUEUE_MAX = 64
"""Scans kept for a consumer that does not keep up; the oldest goes beyond this."""
COOLDOWN_PRUNE_AT = 64
"""Remembered codes before expired ones are forgotten."""

Point: TypeAlias = tuple[int, int]


class ReaderError(CampusgateError):
    """A code reader cannot be set up (a running reader reports faults in ``health``)."""


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One code found in one frame.

    ``symbology`` is a short lower-case name (``qr``, ``code128``, ``code39`` ...);
    ``position`` the four corners (top-left, top-right, bottom-right,
    bottom-left) in pixels when the backend reports them.
    """

    text: str
    symbology: str
    position: tuple[Point, Point, Point, Point] | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    """A code presented to a reader, after de-duplication.

    ``at`` is the reader's clock (monotonic seconds) when the code was seen.
    """

    text: str
    symbology: str
    reader: str
    at: float


class CodeDecoder(Protocol):
    """Finds the codes in one frame.  Never raises for what the image shows."""

    name: str
    rejected: Counter[str]
    """Codes found but dropped, by reason (``not_utf8``, ``non_printable`` ...)."""

    def decode(self, frame: Frame) -> list[DecodedCode]: ...


class CodeReader(Protocol):
    """A running code reader: a camera, a serial scanner, a keyboard wedge.

    Scans go to the ``on_scan`` callback given at construction (called on the
    reader's thread) or, without one, into :attr:`scans`.  ``health()`` is
    ``(state, detail)``; ``close()`` stops and joins every thread.
    """

    name: str

    @property
    def scans(self) -> queue.Queue[Scan]: ...

    def start(self) -> None: ...

    def health(self) -> Health: ...

    def stats(self) -> dict[str, int]: ...

    def close(self) -> None: ...


def text_problem(data: bytes) -> str | None:
    """Why ``data`` is not an acceptable code text, or ``None`` when it is.

    Acceptable: 1..MAX_CODE_LENGTH bytes of UTF-8, every character printable.
    """
    if not data:
        return "empty"
    if len(data) > MAX_CODE_LENGTH:
        return "too_long"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    if not text.isprintable():
        return "non_printable"
    return None


class Cooldown:
    """Turns repeated sightings of one code into one scan.

    A code is new when it has not been seen for ``window`` seconds.  Every
    sighting restarts its window, so a code held in front of the camera is one
    scan however long it stays.  Thread-safe.
    """

    def __init__(self, window: float = SCAN_COOLDOWN_S, clock: Monotonic = time.monotonic) -> None:
        if window < 0:
            raise ValueError("cooldown window must be >= 0")
        self.window = window
        self.clock = clock
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, text: str, now: float | None = None) -> bool:
        """Record a sighting of ``text`` (at ``now``, or the clock's time); True if new."""
        if now is None:
            now = self.clock()
        with self._lock:
            last = self._last_seen.get(text)
            self._last_seen[text] = now
            if len(self._last_seen) > COOLDOWN_PRUNE_AT:
                for key, seen in list(self._last_seen.items()):
                    if now - seen >= self.window:
                        del self._last_seen[key]
            return last is None or now - last >= self.window


class ReaderCore:
    """Health, counters, de-duplication and delivery shared by every reader."""

    def __init__(
        self,
        name: str,
        *,
        on_scan: Callable[[Scan], None] | None,
        cooldown: float,
        clock: Monotonic,
        counters: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.clock = clock
        self.cooldown = Cooldown(cooldown, clock)
        self.scans: queue.Queue[Scan] = queue.Queue(maxsize=SCAN_QUEUE_MAX)
        self._on_scan = on_scan
        self._counts: Counter[str] = Counter(dict.fromkeys(("scans", "duplicates", *counters), 0))
        self._health: Health = ("fault", "not started")
        self._lock = threading.Lock()

    def count(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[key] += amount

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def set_health(self, state: HealthState, detail: str, *, quiet: bool = False) -> None:
        """Record the reader's state; a change is logged unless ``quiet``."""
        with self._lock:
            changed = self._health != (state, detail)
            self._health = (state, detail)
        if changed and not quiet:
            level = logging.INFO if state == "ok" else logging.WARNING
            log.log(level, "reader %s: %s %s", self.name, state, detail)

    def health(self) -> Health:
        with self._lock:
            return self._health

    def emit(self, text: str, symbology: str) -> bool:
        """Deliver a sighting unless the cooldown says it was already scanned."""
        now = self.clock()
        if not self.cooldown.admit(text, now):
            self.count("duplicates")
            return False
        scan = Scan(text=text, symbology=symbology, reader=self.name, at=now)
        self.count("scans")
        if self._on_scan is not None:
            try:
                self._on_scan(scan)
            except Exception:
                self.count("callback_errors")
                log.exception("reader %s: scan callback failed", self.name)
            return True
        while True:
            try:
                self.scans.put_nowait(scan)
            except queue.Full:
                try:
                    self.scans.get_nowait()
                    self.count("scans_dropped")
                except queue.Empty:
                    pass
            else:
                return True
