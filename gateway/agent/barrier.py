"""The lane's turnstile and its lockdown: nothing lets a person through but :class:`Barrier`."""

from __future__ import annotations

from devices.relay.turnstile import Turnstile
from gateway.agent.config import AgentStats


class Barrier:
    """Pulses the turnstile for one person, unless the gate is locked down.

    ``lockdown`` (a command) locks the turnstile and refuses every pulse until
    ``release``; admits and ``open`` commands both go through :meth:`pulse`.
    """

    def __init__(self, turnstile: Turnstile, *, pulse_s: float, stats: AgentStats) -> None:
        self.turnstile = turnstile
        self.pulse_s = pulse_s
        self.stats = stats
        self.locked = False

    def pulse(self) -> bool:
        """Let one person through; False while locked down or when the turnstile failed."""
        if self.locked:
            return False
        if not self.turnstile.pulse(self.pulse_s):
            return False  # the turnstile's health says why; the guard opens by hand
        self.stats.pulses += 1
        return True

    def lock(self) -> None:
        self.locked = True
        self.turnstile.close()

    def release(self) -> None:
        self.locked = False
