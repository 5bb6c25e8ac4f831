"""Pairing scans with body readings into passages (pure; see :mod:`.pairer`)."""

from gateway.pairing.pairer import (
    DEFAULT_PRESENCE_MIN_C,
    DEFAULT_WINDOW_S,
    Paired,
    Pairer,
    credential_for,
)

__all__ = ["DEFAULT_PRESENCE_MIN_C", "DEFAULT_WINDOW_S", "Paired", "Pairer", "credential_for"]
