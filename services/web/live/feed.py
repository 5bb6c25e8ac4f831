"""The web process's one MQTT client: live events in, commands and passages out.

It subscribes, for its site, to every gate's passage, decision, status and
command topics and to the fever alerts; validates each message with its schema
model; keeps the newest status of each gate; joins each decision with the
passage it answers (mask, sensor, vehicle group); and hands browser events to
the :class:`~services.web.live.hub.Hub`.  A message that fails validation is
counted and logged with its topic, never raised.
"""

from __future__ import annotations

import collections
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from kernel.bus.mqtt import BrokerAddress, InboundMessage, MqttBus
from kernel.clock import Clock
from schemas.messages import Command, Decision, FeverAlert, GateStatus, Passage
from schemas.topics import (
    GateChannel,
    GateTopic,
    SiteChannel,
    SiteTopic,
    TopicError,
    gate_filter,
    parse,
    site_filter,
)
from services.web.live import events
from services.web.live.hub import Hub

log = logging.getLogger(__name__)

# Passages waiting for their decision (to add mask/sensor/vehicle to it); oldest go first.
PENDING_PASSAGES_MAX = 20_000
LOG_PAYLOAD_CHARS = 120


@dataclass(frozen=True, slots=True)
class KnownStatus:
    status: GateStatus
    received_at: datetime


class LiveFeed:
    def __init__(
        self,
        address: BrokerAddress,
        *,
        site: str,
        hub: Hub,
        clock: Clock,
        on_alert: Callable[[FeverAlert], None] | None = None,
    ) -> None:
        self.site = site
        self.hub = hub
        self.clock = clock
        self.on_alert = on_alert
        self._passages: collections.OrderedDict[uuid.UUID, events.PassageFacts] = (
            collections.OrderedDict()
        )
        self._statuses: dict[str, KnownStatus] = {}
        self._lock = threading.Lock()
        self.invalid = 0
        self.received = 0
        channels = (
            GateChannel.PASSAGE,
            GateChannel.DECISION,
            GateChannel.STATUS,
            GateChannel.COMMAND,
        )
        subscriptions = (
            *((gate_filter(site, channel), 1) for channel in channels),
            (site_filter(site, SiteChannel.FEVER_ALERT), 1),
        )
        self.bus = MqttBus(
            address,
            client_id=f"campusgate-web-{site}-{uuid.uuid4().hex[:8]}",
            on_message=self._handle,
            subscriptions=subscriptions,
        )

    # -- lifecycle and output ------------------------------------------------------

    def start(self) -> None:
        self.bus.connect()

    def close(self) -> None:
        self.bus.close()

    @property
    def connected(self) -> bool:
        return self.bus.connected

    def publish(self, topic: str, payload: bytes) -> None:
        self.bus.publish(topic, payload, qos=1)

    def statuses(self) -> dict[str, KnownStatus]:
        with self._lock:
            return dict(self._statuses)

    def status_of(self, gate: str) -> KnownStatus | None:
        with self._lock:
            return self._statuses.get(gate)

    # -- input (paho's network thread) -----------------------------------------------

    def _handle(self, message: InboundMessage) -> None:
        self.received += 1
        try:
            topic = parse(message.topic)
        except TopicError:
            self._invalid(message, "unknown topic")
            return
        try:
            if isinstance(topic, GateTopic):
                self._gate_message(topic, message)
            elif isinstance(topic, SiteTopic) and topic.channel is SiteChannel.FEVER_ALERT:
                self._alert(FeverAlert.model_validate_json(message.payload))
        except ValidationError as exc:
            self._invalid(message, f"{exc.error_count()} validation error(s)")

    def _invalid(self, message: InboundMessage, why: str) -> None:
        self.invalid += 1
        log.warning(
            "ignored a message on %s (%s): %r",
            message.topic,
            why,
            message.payload[:LOG_PAYLOAD_CHARS],
        )

    def _gate_message(self, topic: GateTopic, message: InboundMessage) -> None:
        channel, payload = topic.channel, message.payload
        if channel is GateChannel.PASSAGE:
            passage = Passage.model_validate_json(payload)
            self._passages[passage.event_id] = events.PassageFacts.of(passage)
            if len(self._passages) > PENDING_PASSAGES_MAX:
                self._passages.popitem(last=False)
        elif channel is GateChannel.DECISION:
            decision = Decision.model_validate_json(payload)
            facts = self._passages.pop(decision.event_id, None)
            self.hub.publish_threadsafe(events.decision_event(decision, facts))
        elif channel is GateChannel.STATUS:
            status = GateStatus.model_validate_json(payload)
            if status.gate != topic.gate or status.site != topic.site:
                self._invalid(message, "gate or site differs from the topic's")
                return
            known = KnownStatus(status, self.clock.now())
            with self._lock:
                self._statuses[status.gate] = known
            data = events.status_data(status, known.received_at)
            self.hub.publish_threadsafe(
                events.LiveEvent(events.STATUS, status.gate, events.encode(data))
            )
        elif channel is GateChannel.COMMAND:
            command = Command.model_validate_json(payload)
            data = events.command_data(command)
            self.hub.publish_threadsafe(
                events.LiveEvent(events.COMMAND, command.gate, events.encode(data))
            )

    def _alert(self, alert: FeverAlert) -> None:
        data = events.alert_data(alert)
        self.hub.publish_threadsafe(events.LiveEvent(events.ALERT, alert.gate, events.encode(data)))
        if self.on_alert is not None:
            self.on_alert(alert)
