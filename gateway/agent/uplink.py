"""The agent's link to the central side: the one seam the offline outbox wraps (issue 5).

:class:`Uplink` is what the agent needs: publish a passage, its status and raw
readings; decisions, commands, the policy and connection changes come back as
events on the agent's :class:`~gateway.agent.events.Inbox`.  :class:`MqttUplink`
does it over MQTT with the project's bus; every inbound message is validated
here, at the boundary, and a bad one is logged and counted, never raised.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from devices.health import Health
from gateway.agent.events import (
    CommandArrived,
    ConnectionChanged,
    DecisionArrived,
    Inbox,
    PolicyArrived,
    SnapshotArrived,
)
from kernel.bus.mqtt import BrokerAddress, InboundMessage, MqttBus
from schemas.messages import Command, Decision, GateStatus, Passage, PolicyAnnouncement, Reading
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic

log = logging.getLogger(__name__)

LOGGED_PAYLOAD_BYTES = 120
MAX_SNAPSHOT_ENVELOPE = 16 * 2**20


class Uplink(Protocol):
    def start(self) -> None:
        """Connect (raises BusError when the broker cannot be reached at all)."""
        ...

    @property
    def connected(self) -> bool: ...

    def publish_passage(self, passage: Passage) -> None: ...

    def publish_status(self, status: GateStatus) -> None: ...

    def publish_reading(self, reading: Reading) -> None: ...

    def keep(self, passage: Passage) -> None:
        """Store a new version of a passage for forwarding (no-op without an outbox)."""
        ...

    def answered(self, event_id: uuid.UUID) -> bool:
        """A Decision for ``event_id`` arrived; True if it answered a kept passage."""
        ...

    def pump(self, now: float) -> None:
        """Forward what is waiting (called from the agent's loop)."""
        ...

    def backlog(self) -> int:
        """Passages kept and not answered yet."""
        ...

    def health(self) -> Health | None:
        """The outbox's health, or None when there is no outbox."""
        ...

    def close(self) -> None: ...


def offline_status(site: str, gate: str, now: datetime) -> GateStatus:
    """The last will: what the security office sees when the gate vanishes."""
    return GateStatus(site=site, gate=gate, online=False, ts=now, mode="offline")


class MqttUplink:
    """One gate's MQTT session: its own topics only (the broker ACLs allow no more)."""

    def __init__(
        self, address: BrokerAddress, *, site: str, gate: str, inbox: Inbox, now: datetime
    ) -> None:
        self.site, self.gate = site, gate
        self._inbox = inbox
        self.rejected: Counter[str] = Counter()
        self._topics = {
            GateChannel.DECISION: gate_topic(site, gate, GateChannel.DECISION),
            GateChannel.COMMAND: gate_topic(site, gate, GateChannel.COMMAND),
            GateChannel.SNAPSHOT: gate_topic(site, gate, GateChannel.SNAPSHOT),
            GateChannel.SNAPSHOT_DELTA: gate_topic(site, gate, GateChannel.SNAPSHOT_DELTA),
        }
        self._policy_topic = site_topic(site, SiteChannel.POLICY)
        will = offline_status(site, gate, now).model_dump_json().encode()
        self._status_topic = gate_topic(site, gate, GateChannel.STATUS)
        self.bus = MqttBus(
            address,
            client_id=f"campusgate-gate-{site}-{gate}",
            on_message=self._handle,
            on_connection=lambda online: inbox.put(ConnectionChanged(online)),
            subscriptions=(
                (self._topics[GateChannel.DECISION], 1),
                (self._topics[GateChannel.COMMAND], 1),
                (self._topics[GateChannel.SNAPSHOT], 1),
                (self._topics[GateChannel.SNAPSHOT_DELTA], 1),
                (self._policy_topic, 1),
            ),
            will=(self._status_topic, will, 1, True),
        )

    def start(self) -> None:
        self.bus.connect()

    @property
    def connected(self) -> bool:
        return self.bus.connected

    def publish_passage(self, passage: Passage) -> None:
        topic = gate_topic(self.site, self.gate, GateChannel.PASSAGE)
        self.bus.publish(topic, passage.model_dump_json().encode(), qos=1)

    def publish_status(self, status: GateStatus) -> None:
        self.bus.publish(self._status_topic, status.model_dump_json().encode(), qos=1, retain=True)

    def publish_reading(self, reading: Reading) -> None:
        topic = gate_topic(self.site, self.gate, GateChannel.READING)
        self.bus.publish(topic, reading.model_dump_json().encode(), qos=0)

    def keep(self, passage: Passage) -> None:
        """Nothing to keep without an outbox."""

    def answered(self, event_id: uuid.UUID) -> bool:
        return False

    def pump(self, now: float) -> None:
        """Nothing to forward without an outbox."""

    def backlog(self) -> int:
        return 0

    def health(self) -> Health | None:
        return None

    def close(self) -> None:
        self.bus.close()

    def _reject(self, message: InboundMessage, reason: str) -> None:
        self.rejected[reason] += 1
        log.warning(
            "gate %s: rejected message on %s (%s): %r",
            self.gate,
            message.topic,
            reason,
            message.payload[:LOGGED_PAYLOAD_BYTES],
        )

    def _handle(self, message: InboundMessage) -> None:
        try:
            if message.topic == self._topics[GateChannel.DECISION]:
                decision = Decision.model_validate_json(message.payload)
                if decision.gate != self.gate:
                    self._reject(message, "decision for another gate")
                    return
                self._inbox.put(DecisionArrived(decision))
            elif message.topic == self._topics[GateChannel.COMMAND]:
                command = Command.model_validate_json(message.payload)
                if (command.site, command.gate) != (self.site, self.gate):
                    self._reject(message, "command for another gate")
                    return
                self._inbox.put(CommandArrived(command))
            elif message.topic in (
                self._topics[GateChannel.SNAPSHOT],
                self._topics[GateChannel.SNAPSHOT_DELTA],
            ):
                if len(message.payload) > MAX_SNAPSHOT_ENVELOPE:
                    self._reject(message, "snapshot too large")
                    return
                self._inbox.put(SnapshotArrived(message.payload))
            elif message.topic == self._policy_topic:
                policy = PolicyAnnouncement.model_validate_json(message.payload)
                if policy.site != self.site:
                    self._reject(message, "policy of another site")
                    return
                self._inbox.put(PolicyArrived(policy))
            else:
                self._reject(message, "unexpected topic")
        except ValidationError as exc:
            self._reject(message, f"invalid: {exc.error_count()} error(s)")
