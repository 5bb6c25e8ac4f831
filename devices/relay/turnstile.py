"""The turnstile contract and the stand-in for gates without a relay.

A turnstile is let go for one person with :meth:`Turnstile.pulse`, held open
with :meth:`Turnstile.open` (until :meth:`Turnstile.close`), and released
with :meth:`Turnstile.shutdown`.  Commands never block on the pulse and never
raise for a device failure: they return False and the failure shows in
:meth:`Turnstile.health`, so the kiosk can tell the guard to open by hand.
"""

from __future__ import annotations

import logging
from typing import Protocol

from devices.health import Health
from kernel.errors import CampusgateError

log = logging.getLogger(__name__)

PULSE_S = 1.5
"""Default time the turnstile stays released for one person."""
MAX_PULSE_S = 60.0


class RelayError(CampusgateError):
    """A turnstile was set up wrongly (bad relay number, bad pulse length)."""


class Turnstile(Protocol):
    """What the gate agent needs from the turnstile."""

    name: str

    def start(self) -> None:
        """Connect and make sure the turnstile is locked."""
        ...

    def pulse(self, seconds: float = PULSE_S) -> bool:
        """Release now, lock again after ``seconds``; returns without waiting."""
        ...

    def open(self) -> bool:
        """Hold the turnstile released until :meth:`close`."""
        ...

    def close(self) -> bool:
        """Lock the turnstile now (ends a pulse or a hold)."""
        ...

    def health(self) -> Health: ...

    def shutdown(self) -> None:
        """Lock, stop any timer thread, release the port."""
        ...


def check_pulse(seconds: float) -> float:
    if not 0 < seconds <= MAX_PULSE_S:
        raise RelayError(f"pulse of {seconds} s is outside 0..{MAX_PULSE_S} s")
    return seconds


class NoRelay:
    """For gates without a turnstile relay: the guard lets people through by hand."""

    def __init__(self, name: str = "turnstile") -> None:
        self.name = name

    def start(self) -> None:
        log.info("%s: no relay configured, the guard opens the gate", self.name)

    def pulse(self, seconds: float = PULSE_S) -> bool:
        check_pulse(seconds)
        log.info("%s: open (for %.1f s, by the guard)", self.name, seconds)
        return True

    def open(self) -> bool:
        log.info("%s: open (held, by the guard)", self.name)
        return True

    def close(self) -> bool:
        log.info("%s: close (by the guard)", self.name)
        return True

    def health(self) -> Health:
        return ("ok", "no relay: the guard opens the gate")

    def shutdown(self) -> None:
        """Nothing to release."""
