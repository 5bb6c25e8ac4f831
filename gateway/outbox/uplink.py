"""An :class:`~gateway.agent.uplink.Uplink` that keeps every passage until it is answered.

``publish_passage`` writes the passage to the :class:`~gateway.outbox.store.Outbox`
first and then publishes it when connected.  ``pump`` (called from the agent's
loop) forwards what is waiting, oldest first, at most ``forward_rate`` per second
and ``max_in_flight`` unanswered at once, and re-sends a passage still unanswered
after ``resend_s``: the broker may drop a message (a full queue, a restart
without persistence), the gate does not.  Only an answer removes a passage.
The central side's ``sync`` command (it saw a gap in the gate's numbering)
calls :meth:`OutboxUplink.resend_unanswered`: everything waiting goes again at
once, without waiting for ``resend_s``.
"""

from __future__ import annotations

import logging
import time
import uuid

from devices.health import OK, Health
from gateway.agent.uplink import Uplink
from gateway.outbox.store import Outbox, OutboxError
from kernel.clock import Monotonic
from kernel.errors import BusError
from schemas.messages import GateStatus, Passage, Reading

log = logging.getLogger(__name__)

FORWARD_RATE_PER_S = 20.0
"""A gate back from a long outage forwards at most this many passages per second."""
MAX_IN_FLIGHT = 50
"""Forwarded passages waiting for their answer at once."""
RESEND_S = 10.0
"""A forwarded passage unanswered this long is sent again."""
PUMP_INTERVAL_S = 0.05


class OutboxUplink:
    def __init__(
        self,
        inner: Uplink,
        outbox: Outbox,
        *,
        forward_rate: float = FORWARD_RATE_PER_S,
        max_in_flight: int = MAX_IN_FLIGHT,
        resend_s: float = RESEND_S,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.inner = inner
        self.monotonic = monotonic
        self.outbox = outbox
        self.forward_rate = forward_rate
        self.max_in_flight = max_in_flight
        self.resend_s = resend_s
        self.fault: str | None = None
        self.forwarded = 0
        self._sent: dict[uuid.UUID, float] = {}
        self._tokens = float(max_in_flight)
        self._last_pump: float | None = None
        self._lost_connection = False

    # -- Uplink ------------------------------------------------------------------

    def start(self) -> None:
        self.inner.start()

    @property
    def connected(self) -> bool:
        return self.inner.connected

    def publish_passage(self, passage: Passage) -> None:
        """Keep ``passage`` on disk (numbered), then publish it; OutboxError if not kept."""
        try:
            kept = self.outbox.add(passage)
            self.fault = None
        except OutboxError as exc:
            # Say so loudly, and still try to get this one answered live (unnumbered).
            self.fault = str(exc)
            self._publish(passage, self.monotonic())
            raise
        self._publish(kept, self.monotonic())

    def keep(self, passage: Passage) -> None:
        """Replace the stored version of a passage (e.g. now with its local decision)."""
        self.outbox.add(passage)
        self._sent.pop(passage.event_id, None)  # forward the new version

    def answered(self, event_id: uuid.UUID) -> bool:
        self._sent.pop(event_id, None)
        return self.outbox.answered(event_id)

    def resend_unanswered(self) -> None:
        """Send every kept passage again from the next pump on, oldest first (``sync``)."""
        log.info("sync: re-sending the %d passage(s) not answered yet", self.backlog())
        self._sent.clear()

    def pump(self, now: float) -> None:
        if not self.inner.connected:
            self._lost_connection = True
            return
        if self._lost_connection:
            # Back online: whatever was in flight may be gone with the old session.
            self._lost_connection = False
            self._sent.clear()
        if self._last_pump is not None and now - self._last_pump < PUMP_INTERVAL_S:
            return
        elapsed = 0.0 if self._last_pump is None else now - self._last_pump
        self._last_pump = now
        self._tokens = min(self._tokens + elapsed * self.forward_rate, float(self.max_in_flight))
        in_flight = sum(1 for sent in self._sent.values() if now - sent < self.resend_s)
        room = min(int(self._tokens), self.max_in_flight - in_flight)
        if room <= 0:
            return
        try:
            waiting = self.outbox.oldest(self.max_in_flight * 4)
        except OutboxError as exc:
            self.fault = str(exc)
            return
        for _seq, passage in waiting:
            if room <= 0:
                break
            sent = self._sent.get(passage.event_id)
            if sent is not None and now - sent < self.resend_s:
                continue
            self._publish(passage, now)
            self.forwarded += 1
            self._tokens -= 1
            room -= 1

    def backlog(self) -> int:
        return len(self.outbox)

    def health(self) -> Health:
        if self.fault is not None:
            return "fault", self.fault
        return OK

    def publish_status(self, status: GateStatus) -> None:
        self.inner.publish_status(status)

    def publish_reading(self, reading: Reading) -> None:
        self.inner.publish_reading(reading)

    def close(self) -> None:
        self.inner.close()
        self.outbox.close()

    def _publish(self, passage: Passage, now: float) -> None:
        if not self.inner.connected:
            return
        try:
            self.inner.publish_passage(passage)
        except BusError as exc:
            log.warning("passage %s not forwarded now: %s", passage.event_id, exc)
            return
        self._sent[passage.event_id] = now
