"""Time is injected: components take a :class:`Clock` instead of reading the time.

Two shapes only, everywhere: a :class:`Clock` for the time of day (what is stored,
sent and shown), and a :data:`Monotonic` for measuring durations and deadlines
(timeouts, cooldowns, frame rates), which must not jump when the wall clock is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeAlias

Monotonic: TypeAlias = Callable[[], float]
"""Seconds that never go back, from an arbitrary start (``time.monotonic``; tests hand in a
fake).  For durations and deadlines only: never stored, sent or shown to anyone."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations: stands still until moved."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        self._now = value
