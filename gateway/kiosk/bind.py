"""Where the local kiosk listens: ``HOST:PORT``, or a bare ``PORT`` on this machine only."""

from __future__ import annotations

from kernel.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"


def parse_bind(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``PORT`` (on 127.0.0.1) -> (host, port); ConfigError otherwise."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host = DEFAULT_HOST
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--kiosk wants HOST:PORT, e.g. 0.0.0.0:8080, not {value!r}")
    return host.strip("[]") or DEFAULT_HOST, int(port)
