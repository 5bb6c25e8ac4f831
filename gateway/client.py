"""Passage out, Decision back: the request/response pair of topics, by ``event_id``.

Used by the gate agent, the demo's simulated gates, tests and benchmarks.  It
listens on the decision topic of its gates and matches each Decision to the
passage it answers; decisions that fail validation are counted, never raised.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from pydantic import ValidationError

from schemas.messages import Decision, Passage
from schemas.topics import GateChannel, gate_filter, gate_topic
from services.bus.mqtt import InboundMessage, MqttBus, parse_broker_url

log = logging.getLogger(__name__)

DECISION_TIMEOUT_S = 5.0


class _Pending:
    __slots__ = ("decision", "event")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.decision: Decision | None = None


class DecisionClient:
    """Publishes passages for one site and collects the decisions that answer them."""

    def __init__(
        self,
        broker_url: str,
        *,
        site: str,
        gate: str | None = None,
        client_id: str | None = None,
        on_decision: Callable[[Decision], None] | None = None,
    ) -> None:
        self.site = site
        self._on_decision = on_decision
        self._pending: dict[uuid.UUID, _Pending] = {}
        self._lock = threading.Lock()
        self.invalid_decisions = 0
        self.bus = MqttBus(
            parse_broker_url(broker_url),
            client_id=client_id or f"campusgate-gate-{site}-{uuid.uuid4().hex[:8]}",
            on_message=self._handle,
            subscriptions=((gate_filter(site, GateChannel.DECISION, gate), 1),),
        )

    def connect(self) -> DecisionClient:
        self.bus.connect()
        return self

    def close(self) -> None:
        self.bus.close()

    def expect(self, event_id: uuid.UUID) -> None:
        """Register interest before publishing so a fast answer is not missed."""
        with self._lock:
            self._pending.setdefault(event_id, _Pending())

    def send(self, passage: Passage) -> None:
        self.expect(passage.event_id)
        topic = gate_topic(passage.site, passage.gate, GateChannel.PASSAGE)
        self.bus.publish(topic, passage.model_dump_json().encode(), qos=1)

    def wait(self, event_id: uuid.UUID, timeout: float = DECISION_TIMEOUT_S) -> Decision | None:
        """The decision for ``event_id``, or None if none came within ``timeout``."""
        with self._lock:
            pending = self._pending.setdefault(event_id, _Pending())
        if not pending.event.wait(timeout):
            return None
        with self._lock:
            self._pending.pop(event_id, None)
        return pending.decision

    def request(self, passage: Passage, timeout: float = DECISION_TIMEOUT_S) -> Decision | None:
        self.send(passage)
        return self.wait(passage.event_id, timeout)

    def _handle(self, message: InboundMessage) -> None:
        try:
            decision = Decision.model_validate_json(message.payload)
        except ValidationError:
            self.invalid_decisions += 1
            log.warning("invalid decision on %s (%d bytes)", message.topic, len(message.payload))
            return
        with self._lock:
            pending = self._pending.get(decision.event_id)
        if pending is not None and not pending.event.is_set():
            pending.decision = decision
            pending.event.set()
        if self._on_decision is not None:
            self._on_decision(decision)
