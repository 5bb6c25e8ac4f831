"""The gate's MQTT uplink validates everything that arrives, at the boundary."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.agent.events import CommandArrived, ConnectionChanged, DecisionArrived, Inbox
from gateway.agent.uplink import MqttUplink
from kernel.bus.mqtt import InboundMessage, parse_broker_url
from schemas.messages import Command, Decision
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker

pytestmark = pytest.mark.mqtt

GATE = "north-1"


@pytest.fixture
def uplink(broker: LocalBroker, site: str) -> Iterator[tuple[MqttUplink, Inbox]]:
    inbox = Inbox()
    link = MqttUplink(
        parse_broker_url(broker.url), site=site, gate=GATE, inbox=inbox, now=datetime.now(UTC)
    )
    link.start()
    yield link, inbox
    link.close()


def decision(gate: str = GATE) -> Decision:
    return Decision(
        event_id=uuid.uuid4(),
        gate=gate,
        decision="admit",
        reasons=[],
        policy_version=1,
        decided_at=datetime.now(UTC),
    )


def command(site: str, gate: str = GATE) -> Command:
    return Command(
        command_id=uuid.uuid4(),
        site=site,
        gate=gate,
        command="lockdown",
        issued_by="security-1",
        ts=datetime.now(UTC),
    )


def test_bad_messages_are_counted_and_good_ones_arrive(
    uplink: tuple[MqttUplink, Inbox], site: str, broker: LocalBroker, listen: object
) -> None:
    link, inbox = uplink
    sender = listen(broker.url)  # type: ignore[operator]
    decisions = gate_topic(site, GATE, GateChannel.DECISION)
    commands = gate_topic(site, GATE, GateChannel.COMMAND)
    sender.publish(decisions, b"\xff\xfe not json")
    sender.publish(decisions, b'{"v": 1}')
    sender.publish(decisions, decision(gate="south-2").model_dump_json().encode())
    sender.publish(commands, command(site, gate="south-2").model_dump_json().encode())
    sender.publish(commands, command("othersite").model_dump_json().encode())
    good = decision()
    sender.publish(decisions, good.model_dump_json().encode())
    order = command(site)
    sender.publish(commands, order.model_dump_json().encode())
    arrived: list[object] = []
    while len(arrived) < 2:
        event = inbox.get(5.0)
        assert event is not None
        if not isinstance(event, ConnectionChanged):
            arrived.append(event)
    decided, ordered = sorted(arrived, key=lambda e: isinstance(e, CommandArrived))
    assert isinstance(decided, DecisionArrived)
    assert decided.decision.event_id == good.event_id
    assert isinstance(ordered, CommandArrived)
    assert ordered.command.command_id == order.command_id
    assert inbox.get(0.2) is None
    assert sum(link.rejected.values()) == 5
    assert link.rejected["decision for another gate"] == 1
    assert link.rejected["command for another gate"] == 2


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_reach_the_agent(
    uplink: tuple[MqttUplink, Inbox], site: str, payload: bytes
) -> None:
    link, inbox = uplink
    before = sum(link.rejected.values())
    # The boundary handler itself, fed directly: the broker adds nothing here.
    topic = gate_topic(site, GATE, GateChannel.DECISION)
    link._handle(InboundMessage(topic=topic, payload=payload, qos=1, retain=False, mid=1))
    assert all(isinstance(e, ConnectionChanged) for e in iter(lambda: inbox.get(0), None))
    assert sum(link.rejected.values()) == before + 1
