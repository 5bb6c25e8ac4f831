"""A plate camera that sends each plate as a text line over a serial port or a TCP
serial bridge (anything ``serial.serial_for_url`` opens: ``/dev/ttyUSB2``,
``socket://10.0.0.7:4001``, ``loop://``).

A thread reads the port into the line parser; a port that fails is reported in
``health`` and opened again after ``RETRY_S``; garbage is counted, never a plate.
"""

from __future__ import annotations

import logging
import threading

import serial

from devices.health import OK, Health
from devices.plate_reader.contract import PlateLines, PlateRead, ReadQueue
from devices.serial_url import close_port

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.2
RETRY_S = 1.0
BAUD = 9600


class LinePlateReader:
    def __init__(self, url: str, *, name: str = "plate-camera", baudrate: int = BAUD) -> None:
        self.name = name
        self.url = url
        self.baudrate = baudrate
        self._lines = PlateLines()
        self._reads = ReadQueue(name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._health: Health = ("fault", "not started")
        self.port: serial.SerialBase | None = None
        self._opened = threading.Event()

    @property
    def rejected(self) -> int:
        return self._lines.rejected

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"plates-{self.name}", daemon=True)
        self._thread.start()

    def wait_open(self, timeout: float) -> bool:
        return self._opened.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._health = ("fault", "stopped")

    def health(self) -> Health:
        return self._health

    def next_read(self, timeout: float) -> PlateRead | None:
        return self._reads.get(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baudrate,
                                             timeout=READ_TIMEOUT_S)  # fmt: skip
            except (serial.SerialException, OSError, ValueError) as exc:
                self._health = ("fault", f"cannot open {self.url}: {exc}")
                self._stop.wait(RETRY_S)
                continue
            self.port = port
            self._health = OK
            self._opened.set()
            try:
                self._read(port)
            finally:
                close_port(port, self.url)
                self.port = None

    def _read(self, port: serial.SerialBase) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(256)
            except (serial.SerialException, OSError) as exc:
                self._health = ("fault", f"{self.url}: {exc}")
                log.warning("plate camera %s: %s; reconnecting", self.name, exc)
                self._stop.wait(RETRY_S)
                return
            for plate, confidence in self._lines.feed(data):
                self._reads.put(plate, confidence)
