"""Device settings as URLs, shared by every family's ``open_<family>(url)`` front.

``serial:///dev/ttyUSB0?protocol=lu90614`` names a local port (any path, a pty
included); ``serial+socket://host:port?...`` and the other ``serial+SCHEME`` forms
hand ``SCHEME://...`` to pyserial (``socket://``, ``rfc2217://``, ``loop://``).
Query parameters carry the device's own options.  ``none`` leaves a device out.
Every mistake is a :class:`~kernel.errors.ConfigError` naming the setting.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

import serial

from kernel.errors import ConfigError

log = logging.getLogger(__name__)

NONE = "none"


def is_none(url: str) -> bool:
    """True when the setting leaves the device out."""
    return url.strip().lower() == NONE


def is_serial_url(url: str) -> bool:
    """True for ``serial://...`` and ``serial+SCHEME://...`` settings."""
    scheme = urlsplit(url).scheme
    return scheme == "serial" or (scheme.startswith("serial+") and scheme != "serial+")


@dataclass(frozen=True, slots=True)
class SerialSpec:
    """A serial device setting: the pyserial port or URL and the device's options."""

    port: str
    options: dict[str, str]

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def number(self, name: str) -> int | None:
        """An option that must be a whole number (``baud=9600``, ``relay=2``), if given."""
        text = self.option(name)
        if text is None:
            return None
        if not text.isdigit():
            raise ConfigError(f"{name}={text!r} is not a number")
        return int(text)

    def decimal(self, name: str) -> Decimal | None:
        """An option that must be a decimal number (``offset=2.5``)."""
        text = self.option(name)
        if text is None:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ConfigError(f"{name}={text!r} is not a number") from None


def parse_serial_url(url: str) -> SerialSpec:
    """``serial:///dev/ttyUSB0?baud=9600`` or ``serial+socket://host:port`` -> SerialSpec."""
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "serial":
        if not parts.path or parts.netloc:
            raise ConfigError(f"serial URL needs a local path (serial:///dev/ttyUSB0): {url!r}")
        return SerialSpec(parts.path, options)
    if is_serial_url(url):
        inner = parts.scheme.removeprefix("serial+")
        return SerialSpec(f"{inner}://{parts.netloc}{parts.path}", options)
    raise ConfigError(f"not a serial device URL (serial:///dev/... or serial+socket://): {url!r}")


def close_port(port: serial.SerialBase, what: str) -> None:
    """Close a pyserial port, and for ``socket://`` its socket even when the peer is gone.

    pyserial's socket port calls ``shutdown()`` before ``close()`` in one ``try``; when
    the module behind the serial-to-network box reset the connection, ``shutdown()``
    fails, ``close()`` is skipped and the descriptor leaks until garbage collection.
    """
    # A private attribute of pyserial's socket:// handler, read defensively.
    sock = getattr(port, "_socket", None)
    try:
        port.close()
    except OSError as exc:
        log.debug("closing %s: %s", what, exc)
    if isinstance(sock, socket.socket):
        sock.close()  # idempotent: a no-op when pyserial did close it
