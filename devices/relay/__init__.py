"""Turnstile relays, one family: the contract, the LCUS-1 USB relay driver and its simulator.

- :mod:`.turnstile`  ``Turnstile`` protocol, ``NoRelay`` (the guard opens by hand)
- :mod:`.front`      ``open_relay(url)``: the turnstile a setting names
- :mod:`.frames`     command frames and the board-side parser (pure)
- :mod:`.usb`        ``UsbRelay`` over a pyserial URL
- :mod:`.simulator`  ``FakeRelayBoard`` behind a pseudo-terminal

The family's contract tests (``tests/relay/test_contract.py``) run every turnstile
through the same suite.

Errors::

    CampusgateError (kernel.errors)
    └── RelayError   a turnstile set up wrongly (relay number, pulse length)

Device failures are never raised: commands return False and ``health()`` says why.
"""

from devices.relay.front import open_relay
from devices.relay.turnstile import PULSE_S, NoRelay, RelayError, Turnstile
from devices.relay.usb import UsbRelay

__all__ = ["PULSE_S", "NoRelay", "RelayError", "Turnstile", "UsbRelay", "open_relay"]
