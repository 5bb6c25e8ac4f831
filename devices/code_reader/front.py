"""``open_code_reader(url)``: the code reader a setting names, camera or scanner.

The URL's form picks the backend, or ``backend=`` insists on one (a lane's
``scanner`` setting must be a scanner):

- ``none``                                  no reader
- ``stdin``                                 a keyboard-wedge scanner typing into stdin
- ``serial:///dev/ttyACM0?baud=9600``,      a serial barcode scanner (any pyserial
  ``serial+socket://host:port``             URL, see :mod:`devices.serial_url`)
- anything else                             a camera: a device index (``0``), a video
                                            file, an ``rtsp://`` URL, an image folder

OpenCV and the decoders are imported only when a camera is opened, so a gate
with a scanner alone never loads them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal

from devices.code_reader.contract import SCAN_COOLDOWN_S, CodeReader, Scan
from devices.serial_url import is_none, is_serial_url, parse_serial_url

STDIN = "stdin"
SCANNER_BAUDRATE = 9600
Backend = Literal["camera", "scanner"]


def backend_of(url: str) -> Backend:
    """Which kind of reader the setting ``url`` names."""
    return "scanner" if url.strip().lower() == STDIN or is_serial_url(url) else "camera"


def open_code_reader(
    url: str,
    *,
    name: str,
    on_scan: Callable[[Scan], None] | None = None,
    cooldown: float = SCAN_COOLDOWN_S,
    backend: Backend | None = None,
    decoder: Literal["zxing", "pyzbar"] = "zxing",
    fps: float | None = None,
    loop: bool = False,
) -> CodeReader | None:
    """The reader the setting ``url`` names (not started), or None for ``none``.

    ``decoder``, ``fps`` and ``loop`` are the camera's: the decoding backend, and the
    pace and looping of an image folder or video file (tests, replays).
    """
    if is_none(url):
        return None
    chosen = backend or backend_of(url)
    if chosen == "camera":
        from devices.code_reader.camera.decoders import make_decoder
        from devices.code_reader.camera.reader import CameraReader
        from devices.code_reader.camera.sources import open_source

        source = open_source(url, loop=loop, fps=fps)
        return CameraReader(
            source, make_decoder(decoder), name=name, on_scan=on_scan, cooldown=cooldown
        )
    if url.strip().lower() == STDIN:
        from devices.code_reader.scanner.reader import StreamScanner

        return StreamScanner(sys.stdin.buffer, name=name, on_scan=on_scan, cooldown=cooldown)
    from devices.code_reader.scanner.reader import SerialScanner

    spec = parse_serial_url(url)  # a scanner setting that is not a serial URL is refused
    baudrate = spec.number("baud")
    return SerialScanner(
        spec.port,
        baudrate=SCANNER_BAUDRATE if baudrate is None else baudrate,
        name=name,
        on_scan=on_scan,
        cooldown=cooldown,
    )
