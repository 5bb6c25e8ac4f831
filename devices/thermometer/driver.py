"""The thermometer driver over pyserial: reads on its own thread, reconnects after unplugging.

It is the :class:`~devices.thermometer.contract.Thermometer` of every supported module;
the protocol name picks the frame parser (:mod:`.registry`).

The port is anything ``serial.serial_for_url`` opens (a device path, a pty,
``loop://``, ``socket://``).  Readings and faults go to the
``on_event`` callback (called on the driver's thread) or, without one, to a
thread-safe queue; the caller's loop never blocks on the port.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from decimal import Decimal

import serial

from devices.health import Health
from devices.serial_url import close_port
from devices.thermometer.frames import Event, Fault
from devices.thermometer.registry import make_parser, missing_offset
from kernel.clock import Clock

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.05
READ_CHUNK = 256
RECONNECT_MIN_S = 0.05
RECONNECT_MAX_S = 2.0


class SerialThermometer:
    def __init__(
        self,
        url: str,
        *,
        protocol: str,
        sensor: str,
        clock: Clock,
        baudrate: int | None = None,
        on_event: Callable[[Event], None] | None = None,
        surface_offset: Decimal | None = None,
    ) -> None:
        self.url = url
        self.surface_offset = surface_offset
        self.protocol = protocol
        self.parser = make_parser(protocol, sensor)
        self.baudrate = baudrate or self.parser.baudrate
        self.clock = clock
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._emit = on_event or self.events.put
        self._state: Health = ("fault", "not connected yet")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def unconfigured(self) -> str | None:
        return missing_offset(self.protocol, self.surface_offset)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"thermometer {self.url}", daemon=True
        )
        self._thread.start()

    def health(self) -> Health:
        return self._state

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _open(self) -> serial.SerialBase:
        port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT_S)
        if self.parser.start_command:
            try:
                port.write(self.parser.start_command)
            except BaseException:
                close_port(port, self.url)  # opened, but the module is gone again: no leak
                raise
        return port

    def _run(self) -> None:
        delay = RECONNECT_MIN_S
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as exc:
                self._state = ("fault", f"cannot open {self.url}: {exc}")
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            self._state, delay = ("ok", ""), RECONNECT_MIN_S
            self.parser.restart()
            try:
                while not self._stop.is_set():
                    data = port.read(READ_CHUNK)
                    if data:
                        for event in self.parser.feed(data, self.clock.now()):
                            self._emit(event)
            except (serial.SerialException, OSError) as exc:
                # Unplugged: say so in the gate status and try again with backoff.
                self._state = ("fault", f"disconnected: {exc}")
                self._emit(Fault("garbage", f"port lost: {exc}", self.clock.now()))
                log.warning("thermometer %s disconnected: %s", self.url, exc)
            finally:
                close_port(port, self.url)
