"""The camera code reader: grab frames on one thread, decode them on another.

The grabber keeps only the newest frame: when the decoder is still busy, the
frame waiting for it is replaced and counted in ``frames_skipped``, so a slow
decode never queues up stale frames and never stalls the agent.  A source
that fails is closed and re-opened with a doubling backoff; its state is
:meth:`CameraReader.health`.  ``close()`` stops both threads and joins them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devices.code_reader.camera.sources import FrameSource, SourceEnded, SourceError
from devices.code_reader.contract import (
    SCAN_COOLDOWN_S,
    CodeDecoder,
    ReaderCore,
    ReaderError,
    Scan,
)
from devices.health import Health
from kernel.clock import Monotonic

if TYPE_CHECKING:
    from devices.code_reader.contract import Frame

log = logging.getLogger(__name__)

REOPEN_BACKOFF_S = 0.5
"""First wait before re-opening a failed source; doubles on every failure."""
REOPEN_BACKOFF_MAX_S = 10.0
JOIN_TIMEOUT_S = 10.0
"""How long ``close()`` waits for each thread (a network read may take this long)."""


class CameraReader:
    """A :class:`~devices.code_reader.contract.CodeReader` over any :class:`FrameSource`."""

    def __init__(
        self,
        source: FrameSource,
        decoder: CodeDecoder,
        *,
        name: str = "camera",
        on_scan: Callable[[Scan], None] | None = None,
        cooldown: float = SCAN_COOLDOWN_S,
        clock: Monotonic = time.monotonic,
        backoff: tuple[float, float] = (REOPEN_BACKOFF_S, REOPEN_BACKOFF_MAX_S),
    ) -> None:
        self.name = name
        self.source = source
        self.decoder = decoder
        self._core = ReaderCore(
            name,
            on_scan=on_scan,
            cooldown=cooldown,
            clock=clock,
            counters=("frames", "frames_skipped", "frames_decoded"),
        )
        self._backoff = backoff
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._grabbing = True
        self._rejected: dict[str, int] = {}
        self._threads: list[threading.Thread] = []

    @property
    def scans(self) -> queue.Queue[Scan]:
        return self._core.scans

    def start(self) -> None:
        if self._threads:
            raise ReaderError(f"reader {self.name} already started")
        self._core.set_health("fault", f"opening {self.source.description}", quiet=True)
        self._threads = [
            threading.Thread(target=self._grab_loop, name=f"{self.name}-grab", daemon=True),
            threading.Thread(target=self._decode_loop, name=f"{self.name}-decode", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def health(self) -> Health:
        return self._core.health()

    def stats(self) -> dict[str, int]:
        """Counters: frames, frames_skipped, frames_decoded, scans, duplicates, rejected_*..."""
        counts = self._core.stats()
        with self._cond:
            counts.update({f"rejected_{k}": v for k, v in self._rejected.items()})
        return counts

    def wait_finished(self, timeout: float | None = None) -> bool:
        """For a finite source: True once it has ended and its last frame is decoded."""
        return self._finished.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.error("reader %s: thread %s did not stop", self.name, thread.name)

    def _grab_loop(self) -> None:
        first_delay, max_delay = self._backoff
        delay = first_delay
        opened = False
        description = self.source.description
        try:
            while not self._stop.is_set():
                if not opened:
                    try:
                        self.source.open()
                    except SourceError as exc:
                        self._core.set_health("fault", str(exc))
                        self._core.count("open_failures")
                        if self._stop.wait(delay):
                            break
                        delay = min(delay * 2, max_delay)
                        continue
                    opened = True
                try:
                    frame = self.source.read()
                except SourceEnded:
                    self._core.set_health("fault", f"{description} ended")
                    break
                except Exception as exc:  # a failing source never kills the reader
                    if not isinstance(exc, SourceError):
                        log.exception("reader %s: unexpected error from %s", self.name, description)
                    self._core.set_health("fault", str(exc) or type(exc).__name__)
                    self._core.count("read_failures")
                    self.source.close()
                    opened = False
                    if self._stop.wait(delay):
                        break
                    delay = min(delay * 2, max_delay)
                    continue
                delay = first_delay
                self._core.set_health("ok", f"reading {description}")
                self._core.count("frames")
                with self._cond:
                    if self._slot is not None:
                        self._core.count("frames_skipped")
                    self._slot = frame
                    self._cond.notify()
        finally:
            if opened:
                self.source.close()
            with self._cond:
                self._grabbing = False
                self._cond.notify_all()

    def _decode_loop(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and self._grabbing and not self._stop.is_set():
                    self._cond.wait()
                if self._stop.is_set():
                    return
                if self._slot is None:
                    self._finished.set()
                    return
                frame, self._slot = self._slot, None
            self._decode(frame)

    def _decode(self, frame: Frame) -> None:
        try:
            codes = self.decoder.decode(frame)
        except Exception:  # a decoder bug must not stop the camera
            self._core.count("decode_errors")
            log.exception("reader %s: decoder %s failed", self.name, self.decoder.name)
            return
        self._core.count("frames_decoded")
        if self.decoder.rejected:
            with self._cond:
                self._rejected = dict(self.decoder.rejected)
        for code in codes:
            self._core.emit(code.text, code.symbology)
