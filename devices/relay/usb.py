"""The turnstile driver for an LCUS-1 style USB relay board on a serial port.

``pulse`` writes the close frame at once and leaves the open frame to a timer
thread, so the caller never waits for the turnstile.  Every write that fails
(board unplugged, port gone) puts the relay in ``fault`` and closes the port;
the timer thread re-opens it with a doubling backoff and re-sends the state
the turnstile should be in, so a board that reset or came back is put right.

Pulse lengths are measured on ``time.monotonic`` itself, not an injected
:data:`~kernel.clock.Monotonic`: the timer thread really sleeps on a condition
until then, and a fake clock could not move that sleep.
"""

from __future__ import annotations

import logging
import threading
import time

import serial

from devices.health import Health, HealthState
from devices.relay.frames import RELAY_MAX, RELAY_MIN, command_frame
from devices.relay.turnstile import PULSE_S, RelayError, check_pulse
from devices.serial_url import close_port

log = logging.getLogger(__name__)

BAUDRATE = 9600
WRITE_TIMEOUT_S = 0.5
"""A write that the port does not take within this is a fault."""
REFRESH_S = 5.0
"""The wanted state is re-sent this often: detects an unplugged board, fixes a reset one."""
RETRY_S = 0.2
"""First wait before re-opening a failed port; doubles up to REFRESH_S."""
JOIN_TIMEOUT_S = 5.0


class UsbRelay:
    """A :class:`~devices.relay.turnstile.Turnstile` driving relay ``relay`` (1..8)."""

    def __init__(
        self,
        url: str,
        *,
        relay: int = 1,
        baudrate: int = BAUDRATE,
        name: str = "turnstile",
        refresh_s: float | None = REFRESH_S,
        retry_s: float = RETRY_S,
    ) -> None:
        if not RELAY_MIN <= relay <= RELAY_MAX:
            raise RelayError(f"relay number {relay} is outside {RELAY_MIN}..{RELAY_MAX}")
        self.url = url
        self.relay = relay
        self.baudrate = baudrate
        self.name = name
        self.refresh_s = refresh_s
        self.retry_s = retry_s
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._want_closed = False
        self._release_at: float | None = None
        self._next_refresh: float | None = None
        self._retry = retry_s
        self._health: Health = ("fault", "not started")
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- Turnstile -----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RelayError(f"{self.name} already started")
        with self._lock:
            self._send_locked()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-relay", daemon=True)
        self._thread.start()

    def pulse(self, seconds: float = PULSE_S) -> bool:
        check_pulse(seconds)
        with self._lock:
            held = self._want_closed and self._release_at is None
            if not held:  # a hold (open()) outlasts any pulse
                release_at = time.monotonic() + seconds
                if self._release_at is not None:
                    release_at = max(release_at, self._release_at)
                self._want_closed = True
                self._release_at = release_at
            sent = self._send_locked()
            if not sent and not held:
                # A pulse that did not get through is void: it must not open the
                # turnstile later, when the board is back and the person is gone.
                self._want_closed = False
                self._release_at = None
            return sent

    def open(self) -> bool:
        with self._lock:
            self._want_closed = True
            self._release_at = None
            return self._send_locked()

    def close(self) -> bool:
        with self._lock:
            self._want_closed = False
            self._release_at = None
            return self._send_locked()

    def health(self) -> Health:
        with self._lock:
            return self._health

    def shutdown(self) -> None:
        with self._lock:
            self._stopping = True
            self._want_closed = False
            self._release_at = None
            if self._port is not None:
                self._send_locked()
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
        with self._lock:
            self._close_port_locked()

    # --- internals (the caller holds self._lock) -----------------------------
    def _send_locked(self) -> bool:
        """Write the wanted state; on failure mark the fault and close the port."""
        frame = command_frame(self.relay, self._want_closed)
        try:
            if self._port is None:
                self._port = serial.serial_for_url(
                    self.url, baudrate=self.baudrate, write_timeout=WRITE_TIMEOUT_S
                )
            self._port.write(frame)
        except (OSError, ValueError) as exc:
            # SerialException and SerialTimeoutException are OSErrors.
            self._close_port_locked()
            self._set_health_locked("fault", f"relay {self.relay} on {self.url}: {exc}")
            self._next_refresh = time.monotonic() + self._retry
            self._retry = min(self._retry * 2, self.refresh_s or REFRESH_S)
            self._wake.notify()
            return False
        self._retry = self.retry_s
        state = "released" if self._want_closed else "locked"
        self._set_health_locked("ok", f"relay {self.relay} {state}")
        self._next_refresh = None if self.refresh_s is None else time.monotonic() + self.refresh_s
        self._wake.notify()
        return True

    def _close_port_locked(self) -> None:
        if self._port is not None:
            close_port(self._port, f"{self.name} on {self.url}")
            self._port = None

    def _set_health_locked(self, state: HealthState, detail: str) -> None:
        if (state, detail) != self._health:
            level = logging.INFO if state == "ok" else logging.WARNING
            log.log(level, "%s: %s %s", self.name, state, detail)
        self._health = (state, detail)

    def _run(self) -> None:
        """Ends pulses, re-sends the wanted state, reconnects after a fault."""
        with self._lock:
            while not self._stopping:
                now = time.monotonic()
                if self._release_at is not None and now >= self._release_at:
                    self._want_closed = False
                    self._release_at = None
                    self._send_locked()
                    continue
                if self._next_refresh is not None and now >= self._next_refresh:
                    self._next_refresh = None
                    self._send_locked()
                    continue
                deadlines = [t for t in (self._release_at, self._next_refresh) if t is not None]
                self._wake.wait(min(deadlines) - now if deadlines else None)
