"""The lane's devices, built from the URLs in :class:`~gateway.agent.settings.GateSettings`.

``serial:///dev/ttyUSB0?protocol=lu90614`` names a local port (any path, a pty
included); ``serial+socket://host:port?...`` and the other ``serial+SCHEME``
forms hand ``SCHEME://...`` to pyserial (``socket://``, ``rfc2217://``,
``loop://``).  Query parameters carry the device's own options.  Heavy parts
(OpenCV, the decoders) are imported only when a camera is configured.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from devices.camera.codes import CodeReader, Scan
from devices.relay import make_turnstile
from devices.relay.turnstile import Turnstile
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.frames import Event
from devices.thermometer.registry import PARSERS
from kernel.clock import Clock
from kernel.errors import ConfigError

NONE = "none"
THERMOMETER_SENSOR = "ir-0"


@dataclass(frozen=True, slots=True)
class SerialSpec:
    """A serial device setting: the pyserial port or URL and the device's options."""

    port: str
    options: dict[str, str]

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)


def parse_serial_url(url: str) -> SerialSpec:
    """``serial:///dev/ttyUSB0?baud=9600`` or ``serial+socket://host:port`` -> SerialSpec."""
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "serial":
        if not parts.path or parts.netloc:
            raise ConfigError(f"serial URL needs a local path (serial:///dev/ttyUSB0): {url!r}")
        return SerialSpec(parts.path, options)
    if parts.scheme.startswith("serial+") and parts.scheme != "serial+":
        inner = parts.scheme.removeprefix("serial+")
        return SerialSpec(f"{inner}://{parts.netloc}{parts.path}", options)
    raise ConfigError(f"not a serial device URL (serial:///dev/... or serial+socket://): {url!r}")


def _decimal(spec: SerialSpec, name: str) -> Decimal | None:
    text = spec.option(name)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"{name}={text!r} is not a number") from None


def make_thermometer(
    url: str,
    *,
    clock: Clock,
    on_event: Callable[[Event], None],
) -> tuple[SerialThermometer | None, Decimal | None]:
    """The thermometer driver and its surface->body offset (``offset=``), or (None, None)."""
    if url.strip().lower() == NONE:
        return None, None
    spec = parse_serial_url(url)
    protocol = spec.option("protocol")
    if protocol not in PARSERS:
        raise ConfigError(f"thermometer URL needs protocol= one of {', '.join(PARSERS)}: {url!r}")
    baud = spec.option("baud")
    if baud is not None and not baud.isdigit():
        raise ConfigError(f"baud={baud!r} is not a number")
    offset = _decimal(spec, "offset")
    if offset is not None and not Decimal("0") <= offset <= Decimal("5"):
        raise ConfigError(f"surface offset {offset} C is outside 0..5 C")
    driver = SerialThermometer(
        spec.port,
        protocol=protocol,
        sensor=spec.option("sensor", THERMOMETER_SENSOR) or THERMOMETER_SENSOR,
        clock=clock,
        baudrate=int(baud) if baud else None,
        on_event=on_event,
    )
    return driver, offset


def make_relay(url: str) -> Turnstile:
    if url.strip().lower() == NONE:
        return make_turnstile(None)
    spec = parse_serial_url(url)
    relay = spec.option("relay", "1") or "1"
    if not relay.isdigit():
        raise ConfigError(f"relay={relay!r} is not a relay number")
    return make_turnstile(spec.port, relay=int(relay))


def make_readers(
    *,
    camera: str,
    scanner: str,
    decoder: str,
    cooldown: float,
    on_scan: Callable[[Scan], None],
    camera_fps: float | None = None,
    camera_loop: bool = False,
) -> tuple[CodeReader, ...]:
    readers: list[CodeReader] = []
    if camera.strip().lower() != NONE:
        from devices.camera.decoders import make_decoder
        from devices.camera.reader import CameraReader
        from devices.camera.sources import open_source

        readers.append(
            CameraReader(
                open_source(camera, loop=camera_loop, fps=camera_fps),
                make_decoder(decoder),
                name="camera",
                on_scan=on_scan,
                cooldown=cooldown,
            )
        )
    if scanner.strip().lower() == "stdin":
        from devices.scanner.reader import StreamScanner

        readers.append(
            StreamScanner(sys.stdin.buffer, name="scanner", on_scan=on_scan, cooldown=cooldown)
        )
    elif scanner.strip().lower() != NONE:
        from devices.scanner.reader import SerialScanner

        spec = parse_serial_url(scanner)
        baud = spec.option("baud", "9600") or "9600"
        if not baud.isdigit():
            raise ConfigError(f"baud={baud!r} is not a number")
        readers.append(
            SerialScanner(
                spec.port, baudrate=int(baud), name="scanner", on_scan=on_scan, cooldown=cooldown
            )
        )
    return tuple(readers)
