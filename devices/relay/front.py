"""``open_relay(url)``: the turnstile behind the relay a setting names.

``serial:///dev/ttyUSB1?relay=2`` (any form of :mod:`devices.serial_url`) drives
relay ``relay`` (1..8, default 1) of an LCUS-1 style board with :class:`UsbRelay`;
``none`` gives :class:`NoRelay`, for lanes where the guard opens the gate by hand.
"""

from __future__ import annotations

from devices.relay.turnstile import NoRelay, Turnstile
from devices.relay.usb import UsbRelay
from devices.serial_url import is_none, parse_serial_url

DEFAULT_RELAY = 1


def open_relay(url: str | None, *, name: str = "turnstile") -> Turnstile:
    """The turnstile (not started): a :class:`UsbRelay`, or :class:`NoRelay` for ``none``."""
    if url is None or is_none(url):
        return NoRelay(name)
    spec = parse_serial_url(url)
    relay = spec.number("relay")
    return UsbRelay(spec.port, relay=DEFAULT_RELAY if relay is None else relay, name=name)
