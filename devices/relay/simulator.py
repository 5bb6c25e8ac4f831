"""A fake LCUS-1 relay board behind a real pseudo-terminal.

The driver opens :attr:`FakeRelayBoard.port` (a ``/dev/pts/N`` path) exactly
as it would open ``/dev/ttyUSB0``.  The board parses what arrives with the
board-side :class:`~devices.relay.frames.FrameParser`, ignores frames with a
bad checksum (counted in :attr:`rejected`), and records every relay state
change with its time.  :meth:`unplug` closes the pty under the driver.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from devices.relay.frames import BadFrame, FrameParser, RelayCommand
from kernel.clock import Monotonic

POLL_S = 0.02
JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class RelayChange:
    """Relay ``relay`` became closed (energised) or open at ``at`` (monotonic seconds)."""

    at: float
    relay: int
    closed: bool


class FakeRelayBoard:
    """An 8-channel board: all relays open at power-up."""

    def __init__(self, clock: Monotonic = time.monotonic) -> None:
        self._clock = clock
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.received = bytearray()
        self.commands: list[RelayCommand] = []
        self.changes: list[RelayChange] = []
        self.rejected: Counter[str] = Counter()
        self.states = dict.fromkeys(range(1, 9), False)
        self._parser = FrameParser()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._plugged = True
        self._thread = threading.Thread(target=self._run, name="fake-relay-board", daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeRelayBoard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], POLL_S)
            if not ready:
                continue
            try:
                data = os.read(self._master, 1024)
            except OSError:
                continue  # no slave open at this instant; keep listening
            self._take(data)

    def _take(self, data: bytes) -> None:
        now = self._clock()
        with self._cond:
            self.received += data
            for result in self._parser.feed(data):
                if isinstance(result, BadFrame):
                    self.rejected[result.reason] += 1
                    continue
                self.commands.append(result)
                if self.states[result.relay] != result.closed:
                    self.states[result.relay] = result.closed
                    self.changes.append(RelayChange(now, result.relay, result.closed))
            self._cond.notify_all()

    def wait_for(self, condition: Callable[[FakeRelayBoard], bool], timeout: float = 5.0) -> bool:
        """Wait until ``condition(board)`` holds (checked whenever bytes arrive)."""
        with self._cond:
            return self._cond.wait_for(lambda: condition(self), timeout)

    def inject(self, data: bytes) -> None:
        """Handle ``data`` as if it came down the wire (for frames no driver would send)."""
        self._take(data)

    def unplug(self) -> None:
        """Pull the board out: the pty goes away and the driver's writes fail."""
        if not self._plugged:
            return
        self._plugged = False
        self._stop.set()
        self._thread.join(JOIN_TIMEOUT_S)
        os.close(self._master)
        os.close(self._slave)

    def close(self) -> None:
        self.unplug()
