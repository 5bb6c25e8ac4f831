"""What the local kiosk's pages receive: the lane's decisions and statuses, in order.

The lane's loop hands in every decision it acts on (from the centre, or decided here
offline) and every status it makes; page connections wait for what is new.  Events
are shaped by :mod:`ui.live`, exactly as the central kiosk receives them; a guard's
view masks person ids, as on the central kiosk.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime
from typing import Any

from schemas.messages import Decision, GateStatus, Passage
from ui.live import PassageFacts, decision_data, status_data, with_person_id_masked

KEPT_EVENTS = 200
"""Events kept for a page that reconnects; the recent list shows a dozen."""


class KioskFeed:
    def __init__(self) -> None:
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=KEPT_EVENTS)
        self._seq = 0
        self._status: dict[str, Any] | None = None
        self._changed = threading.Condition()
        self.closed = False

    def decision(self, decision: Decision, passage: Passage | None) -> None:
        """Called on the lane's loop for every decision it acts on."""
        facts = PassageFacts.of(passage) if passage is not None else None
        self._add(with_person_id_masked(decision_data(decision, facts)))

    def status(self, status: GateStatus, now: datetime) -> None:
        """Called on the lane's loop with every status it makes."""
        data = status_data(status, now)
        with self._changed:
            self._status = data
        self._add(data)

    def _add(self, data: dict[str, Any]) -> None:
        with self._changed:
            self._seq += 1
            self._events.append((self._seq, data))
            self._changed.notify_all()

    def latest_status(self) -> dict[str, Any] | None:
        with self._changed:
            return self._status

    def recent_decisions(self, limit: int) -> list[dict[str, Any]]:
        with self._changed:
            found = [data for _, data in self._events if data["type"] == "decision"]
        return list(reversed(found[-limit:]))

    def position(self) -> int:
        with self._changed:
            return self._seq

    def wait(self, after: int, timeout: float) -> tuple[int, list[dict[str, Any]]]:
        """Events after ``after`` (waiting up to ``timeout`` for one), and the new position."""
        with self._changed:
            self._changed.wait_for(lambda: self._seq > after or self.closed, timeout)
            events = [data for seq, data in self._events if seq > after]
            return self._seq, events

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
