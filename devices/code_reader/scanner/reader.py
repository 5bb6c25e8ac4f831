"""Barcode scanners that send lines: serial (pyserial URL) and keyboard wedge (a stream).

Both are :class:`~devices.code_reader.contract.CodeReader` implementations: a thread
reads bytes, :class:`~devices.code_reader.scanner.lines.LineParser` frames them, rejected
lines are counted and reported as ``degraded`` health until the next good
line, and good lines go through the same cooldown as camera scans.  A serial
port that fails is closed and re-opened with a doubling backoff.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from typing import IO

import serial

from devices.code_reader.contract import SCAN_COOLDOWN_S, ReaderCore, ReaderError, Scan
from devices.code_reader.scanner.lines import Line, LineParser, Rejected
from devices.health import Health
from devices.serial_url import close_port
from kernel.clock import Monotonic

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.1
"""Longest a read blocks, so the thread notices ``close()`` and line timeouts."""
READ_CHUNK = 4096
REOPEN_BACKOFF_S = 0.5
REOPEN_BACKOFF_MAX_S = 10.0
JOIN_TIMEOUT_S = 5.0
DEFAULT_BAUDRATE = 9600
SCANNER_SYMBOLOGY = "unknown"
"""Line scanners send the text only, not which symbology it was read from."""


class PortError(ReaderError):
    """The scanner's port or stream cannot be opened or read."""


class InputEnded(ReaderError):
    """The stream was closed at the other end (end of file)."""


class _LineReader:
    """Thread, parsing, health and reconnection; subclasses do the I/O."""

    description = "scanner"

    def __init__(
        self,
        *,
        name: str,
        on_scan: Callable[[Scan], None] | None,
        cooldown: float,
        clock: Monotonic,
        backoff: tuple[float, float],
    ) -> None:
        self.name = name
        self._core = ReaderCore(
            name, on_scan=on_scan, cooldown=cooldown, clock=clock, counters=("lines",)
        )
        self._parser = LineParser()
        self._backoff = backoff
        self._stop = threading.Event()
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None

    # --- I/O hooks -----------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _read(self) -> bytes:
        """Bytes read (possibly none after READ_TIMEOUT_S); raises PortError, InputEnded."""
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    # --- CodeReader ------------------------------------------------------------
    @property
    def scans(self) -> queue.Queue[Scan]:
        return self._core.scans

    def start(self) -> None:
        if self._thread is not None:
            raise ReaderError(f"reader {self.name} already started")
        self._core.set_health("fault", f"opening {self.description}", quiet=True)
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-read", daemon=True)
        self._thread.start()

    def health(self) -> Health:
        return self._core.health()

    def stats(self) -> dict[str, int]:
        """Counters: lines, scans, duplicates, rejected_<reason>, read_failures ..."""
        return self._core.stats()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """True once the input has ended (end of a stream) and every line is handled."""
        return self._ended.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
            if self._thread.is_alive():
                log.error("reader %s: thread did not stop", self.name)

    # --- the loop ------------------------------------------------------------
    def _run(self) -> None:
        first_delay, max_delay = self._backoff
        delay = first_delay
        opened = False
        try:
            while not self._stop.is_set():
                if not opened:
                    try:
                        self._open()
                    except PortError as exc:
                        self._core.set_health("fault", str(exc))
                        self._core.count("open_failures")
                        if self._stop.wait(delay):
                            break
                        delay = min(delay * 2, max_delay)
                        continue
                    opened = True
                    delay = first_delay
                    self._core.set_health("ok", f"listening on {self.description}")
                try:
                    data = self._read()
                except InputEnded:
                    self._handle(self._parser.expire(float("inf")))
                    self._core.set_health("fault", f"{self.description} ended")
                    self._ended.set()
                    break
                except PortError as exc:
                    self._core.set_health("fault", str(exc))
                    self._core.count("read_failures")
                    # Half a code must not join the first bytes after the re-open.
                    self._handle(self._parser.expire(float("inf")))
                    self._close()
                    opened = False
                    if self._stop.wait(delay):
                        break
                    delay = min(delay * 2, max_delay)
                    continue
                now = self._core.clock()
                self._handle(self._parser.feed(data, now) if data else self._parser.expire(now))
        finally:
            if opened:
                self._close()

    def _handle(self, results: list[Line | Rejected]) -> None:
        for result in results:
            if isinstance(result, Line):
                self._core.count("lines")
                self._core.set_health("ok", f"listening on {self.description}")
                self._core.emit(result.text, SCANNER_SYMBOLOGY)
            else:
                self._core.count(f"rejected_{result.reason}")
                self._core.set_health("degraded", f"rejected a line: {result.reason}")


class SerialScanner(_LineReader):
    """A scanner on a serial port, given as a pyserial URL (a device path, ``loop://`` ...)."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        name: str = "scanner",
        on_scan: Callable[[Scan], None] | None = None,
        cooldown: float = SCAN_COOLDOWN_S,
        clock: Monotonic = time.monotonic,
        backoff: tuple[float, float] = (REOPEN_BACKOFF_S, REOPEN_BACKOFF_MAX_S),
    ) -> None:
        super().__init__(
            name=name, on_scan=on_scan, cooldown=cooldown, clock=clock, backoff=backoff
        )
        self.url = url
        self.baudrate = baudrate
        self.description = f"serial {url}"
        self.port: serial.SerialBase | None = None

    def _open(self) -> None:
        try:
            self.port = serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT_S
            )
        except (OSError, ValueError) as exc:
            raise PortError(f"cannot open {self.description}: {exc}") from exc

    def _read(self) -> bytes:
        assert self.port is not None
        try:
            data: bytes = self.port.read(max(1, self.port.in_waiting))
        except (OSError, ValueError, TypeError) as exc:
            # pyserial raises SerialException (an OSError) when the device goes away.
            raise PortError(f"{self.description}: {exc}") from exc
        return data

    def _close(self) -> None:
        if self.port is not None:
            close_port(self.port, self.description)
            self.port = None


class StreamScanner(_LineReader):
    """A keyboard-wedge scanner typing into a stream (stdin, a pipe, a file).

    Streams with a file descriptor are polled with ``select`` so ``close()``
    is never stuck behind a blocking read; in-memory streams are read directly.
    Text streams without a descriptor are encoded as UTF-8.
    """

    def __init__(
        self,
        stream: IO[bytes] | IO[str],
        *,
        name: str = "wedge",
        on_scan: Callable[[Scan], None] | None = None,
        cooldown: float = SCAN_COOLDOWN_S,
        clock: Monotonic = time.monotonic,
    ) -> None:
        super().__init__(
            name=name,
            on_scan=on_scan,
            cooldown=cooldown,
            clock=clock,
            backoff=(REOPEN_BACKOFF_S, REOPEN_BACKOFF_MAX_S),
        )
        self.stream = stream
        self.description = f"stream {getattr(stream, 'name', type(stream).__name__)}"
        self._fd: int | None = None

    def _open(self) -> None:
        try:
            self._fd = self.stream.fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            self._fd = None

    def _read(self) -> bytes:
        if self._fd is not None:
            try:
                ready, _, _ = select.select([self._fd], [], [], READ_TIMEOUT_S)
                if not ready:
                    return b""
                data = os.read(self._fd, READ_CHUNK)
            except (OSError, ValueError) as exc:
                raise PortError(f"{self.description}: {exc}") from exc
        else:
            chunk = self.stream.read(READ_CHUNK)
            data = chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else chunk
        if not data:
            raise InputEnded(self.description)
        return data

    def _close(self) -> None:
        """The stream belongs to the caller; it is left open."""


class SimulatedScanner(StreamScanner):
    """A keyboard-wedge scanner fed through a pipe: ``present(text)`` types a code."""

    def __init__(
        self,
        *,
        name: str = "scanner-sim",
        on_scan: Callable[[Scan], None] | None = None,
        cooldown: float = SCAN_COOLDOWN_S,
        clock: Monotonic = time.monotonic,
    ) -> None:
        read_fd, self._write_fd = os.pipe()
        super().__init__(
            os.fdopen(read_fd, "rb", buffering=0),
            name=name,
            on_scan=on_scan,
            cooldown=cooldown,
            clock=clock,
        )
        self.description = "simulated scanner"

    def present(self, text: str, terminator: bytes = b"\r\n") -> None:
        """The scanner reads ``text`` and types it followed by ``terminator``."""
        self.send(text.encode("utf-8") + terminator)

    def send(self, data: bytes) -> None:
        """Raw bytes on the wire, garbage included."""
        os.write(self._write_fd, data)

    def unplug(self) -> None:
        """The other end goes away: the reader sees the input end."""
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1

    def close(self) -> None:
        super().close()
        self.unplug()
        self.stream.close()
