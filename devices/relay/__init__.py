"""Turnstile relays: the contract, the LCUS-1 USB relay driver and its simulator.

- :mod:`.turnstile`  ``Turnstile`` protocol, ``NoRelay``
- :mod:`.frames`     command frames and the board-side parser (pure)
- :mod:`.usb`        ``UsbRelay`` over a pyserial URL
- :mod:`.simulator`  ``FakeRelayBoard`` behind a pseudo-terminal
- ``make_turnstile(url)`` below picks one from a setting.

Errors::

    CampusgateError (kernel.errors)
    └── RelayError   a turnstile set up wrongly (relay number, pulse length)

Device failures are never raised: commands return False and ``health()`` says why.
"""

from devices.relay.turnstile import PULSE_S, NoRelay, RelayError, Turnstile
from devices.relay.usb import UsbRelay

__all__ = ["PULSE_S", "NoRelay", "RelayError", "Turnstile", "UsbRelay", "make_turnstile"]


def make_turnstile(url: str | None, *, relay: int = 1, name: str = "turnstile") -> Turnstile:
    """A :class:`UsbRelay` on the pyserial ``url``, or :class:`NoRelay` when there is none."""
    if url is None or url.strip().lower() in ("", "none"):
        return NoRelay(name)
    return UsbRelay(url, relay=relay, name=name)
