"""How many rejected messages the central keeps per gate (issue 14, Low).

Every message that fails validation is kept raw with its reason (DESIGN section
3), up to 64 KiB each, so one gate account sending junk could fill the
database.  Each passage topic (one per gate) may have :data:`BUDGET_MESSAGES`
messages and :data:`BUDGET_BYTES` bytes kept per :data:`WINDOW_S`; past that its
rejections are still answered ``malformed`` and counted, but not stored.  The
first one over the budget is logged once per window, and the window's count of
unkept messages when the next one begins.  Each worker keeps its own budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

WINDOW_S = 3600.0
BUDGET_MESSAGES = 100
BUDGET_BYTES = 1024 * 1024
MAX_TOPICS = 10_000
"""Topics tracked at once; beyond that (an open broker, invented gate names) they share one."""
OTHER_TOPICS = "(other topics)"


@dataclass(slots=True)
class _Spent:
    since: float
    messages: int = 0
    size: int = 0
    unkept: int = 0


class RejectBudget:
    def __init__(
        self,
        *,
        messages: int = BUDGET_MESSAGES,
        size: int = BUDGET_BYTES,
        window_s: float = WINDOW_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.messages = messages
        self.size = size
        self.window_s = window_s
        self.monotonic = monotonic
        self._spent: dict[str, _Spent] = {}
        self.unkept = 0

    def keep(self, topic: str, size: int) -> bool:
        """Whether a rejected message of ``size`` bytes on ``topic`` is stored."""
        now = self.monotonic()
        if topic not in self._spent and len(self._spent) >= MAX_TOPICS:
            topic = OTHER_TOPICS
        spent = self._spent.get(topic)
        if spent is None or now - spent.since >= self.window_s:
            if spent is not None and spent.unkept:
                log.warning(
                    "%s: %d more rejected message(s) were not kept in the last %.0f s",
                    topic, spent.unkept, self.window_s,
                )  # fmt: skip
            spent = self._spent[topic] = _Spent(since=now)
        if spent.messages + 1 > self.messages or spent.size + size > self.size:
            spent.unkept += 1
            self.unkept += 1
            if spent.unkept == 1:
                log.warning(
                    "%s: over its budget of %d rejected messages / %d bytes per %.0f s; "
                    "further ones are answered and counted, not kept",
                    topic, self.messages, self.size, self.window_s,
                )  # fmt: skip
            return False
        spent.messages += 1
        spent.size += size
        return True
