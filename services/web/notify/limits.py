"""A sliding-window rate limit per channel: at most ``limit`` sends in any ``period_s``.

DingTalk and WeCom group bots take 20 messages a minute each (DingTalk then shuts a
bot up for 10 minutes); Feishu custom bots 100 a minute and 5 a second.  A send past
the limit waits for the oldest one to leave the window instead of being refused by
the vendor (and retried, and perhaps lost to a dead letter).  The clock and the sleep
are passed in, so tests move time instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class SlidingWindow:
    def __init__(
        self,
        limit: int,
        period_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or period_s <= 0:
            raise ValueError("a rate limit needs at least one send in a positive period")
        self.limit = limit
        self.period_s = period_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited_s = 0.0  # how long sends were held back, in all (for tests and logs)

    def _forget_old(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.period_s:
            self._sent.popleft()

    async def acquire(self) -> None:
        """Wait until one more send fits in the window, then count it."""
        async with self._lock:  # one waiter at a time keeps the order of the notices
            now = self._monotonic()
            self._forget_old(now)
            while len(self._sent) >= self.limit:
                wait = self.period_s - (now - self._sent[0])
                self.waited_s += wait
                await self._sleep(wait)
                now = self._monotonic()
                self._forget_old(now)
            self._sent.append(now)


class Limits:
    """Several windows at once (Feishu: 5 a second and 100 a minute): each in turn."""

    def __init__(self, *windows: SlidingWindow) -> None:
        self.windows = windows

    @property
    def waited_s(self) -> float:
        return sum(w.waited_s for w in self.windows)

    async def acquire(self) -> None:
        for window in self.windows:
            await window.acquire()
