"""The live fan-out without a browser: filters, batching, bounded queues, bad messages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kernel.bus.mqtt import BrokerAddress, InboundMessage
from kernel.clock import FixedClock
from schemas.ids import uuid7
from schemas.messages import Decision, DecisionPerson
from schemas.topics import GateChannel, gate_topic
from services.web.live import events
from services.web.live.feed import LiveFeed
from services.web.live.hub import Hub, Reload
from services.web.live.stream import sse_stream
from tests.fixtures.passages import passage
from tests.fixtures.web_helpers import gate_status, run_async

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def event(gate: str, n: int = 0) -> events.LiveEvent:
    return events.LiveEvent(events.DECISION, gate, json.dumps({"n": n, "gate": gate}))


def test_each_subscriber_gets_only_its_kinds_and_gates() -> None:
    async def run() -> None:
        hub = Hub(queue_max=10)
        kiosk = hub.subscribe(frozenset({events.DECISION}), frozenset({"north-1"}))
        office = hub.subscribe(frozenset({events.DECISION, events.ALERT}), None)
        hub.publish(event("north-1"))
        hub.publish(event("south-2"))
        hub.publish(events.LiveEvent(events.ALERT, "south-2", "{}"))
        assert kiosk.queue.qsize() == 1
        assert office.queue.qsize() == 3

    run_async(run())


def test_a_slow_subscriber_is_told_to_reload_and_never_grows() -> None:
    async def run() -> None:
        hub = Hub(queue_max=5)
        slow = hub.subscribe(frozenset({events.DECISION}), None)
        fast = hub.subscribe(frozenset({events.DECISION}), None)
        for n in range(50):
            hub.publish(event("north-1", n))
            if not fast.queue.empty():
                fast.queue.get_nowait()
        assert slow.overflowed
        assert slow.queue.qsize() == 1
        assert isinstance(slow.queue.get_nowait(), Reload)
        assert not fast.overflowed
        assert hub.stats().overflows == 1

    run_async(run())


def test_the_stream_sends_what_is_queued_as_one_batch_then_reload() -> None:
    async def run() -> list[bytes]:
        hub = Hub(queue_max=100)
        subscriber = hub.subscribe(frozenset({events.DECISION}), None)
        for n in range(3):
            hub.publish(event("north-1", n))
        stream = sse_stream(
            hub,
            subscriber,
            clock=FixedClock(NOW),
            expires_at=NOW + timedelta(hours=1),
            hello='{"view":"kiosk"}',
        )
        chunks = [await anext(stream), await anext(stream)]
        hub.close_all()
        chunks.append(await anext(stream))
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        assert hub.stats().subscribers == 0
        return chunks

    hello, batch, reload = run_async(run())
    assert hello.startswith(b'retry: 2000\n\nevent: hello\ndata: {"view":"kiosk"}')
    assert batch.startswith(b"event: batch\ndata: [")
    assert [item["n"] for item in json.loads(batch.split(b"data: ", 1)[1])] == [0, 1, 2]
    assert reload == b"event: reload\ndata: {}\n\n"


def test_a_stream_ends_with_its_session() -> None:
    async def run() -> list[bytes]:
        hub = Hub(queue_max=10)
        subscriber = hub.subscribe(frozenset({events.DECISION}), None)
        stream = sse_stream(hub, subscriber, clock=FixedClock(NOW), expires_at=NOW, hello="{}")
        return [chunk async for chunk in stream]

    chunks = run_async(run())
    assert chunks[-1] == b"event: reload\ndata: {}\n\n"


def test_the_feed_joins_decisions_with_their_passage_and_survives_garbage() -> None:
    async def run() -> list[dict[str, object]]:
        hub = Hub(queue_max=100)
        hub.bind(asyncio.get_running_loop())
        feed = LiveFeed(BrokerAddress("127.0.0.1", 1), site="main", hub=hub, clock=FixedClock(NOW))
        subscriber = hub.subscribe(events.KINDS, None)
        p = passage("main", "CG1.a.b", mask=False)
        decision = Decision(
            event_id=p.event_id,
            gate="north-1",
            decision="deny",
            reasons=["no_mask"],
            person=DecisionPerson(id="S1", name="Li Wei", kind="student", masked_id="**1234"),
            celsius=Decimal("36.6"),
            policy_version=3,
            decided_at=NOW,
        )
        inbound = [
            (gate_topic("main", "north-1", GateChannel.PASSAGE), p.model_dump_json().encode()),
            (gate_topic("main", "north-1", GateChannel.DECISION), b"{not json"),
            ("campusgate/v1/main/elsewhere", b"{}"),
            (
                gate_topic("main", "south-2", GateChannel.STATUS),
                gate_status("main", "north-1").model_dump_json().encode(),
            ),  # gate differs from topic
            (
                gate_topic("main", "north-1", GateChannel.DECISION),
                decision.model_dump_json().encode(),
            ),
            (
                gate_topic("main", "north-1", GateChannel.STATUS),
                gate_status("main", "north-1").model_dump_json().encode(),
            ),
        ]
        for mid, (topic, payload) in enumerate(inbound):
            feed._handle(InboundMessage(topic, payload, 1, False, mid))
        await asyncio.sleep(0.01)
        assert (feed.received, feed.invalid) == (6, 3)
        assert set(feed.statuses()) == {"north-1"}
        got = []
        while not subscriber.queue.empty():
            item = subscriber.queue.get_nowait()
            assert isinstance(item, events.LiveEvent)
            got.append(json.loads(item.json))
        return got

    decision, status = run_async(run())
    assert decision["type"] == "decision"
    assert (decision["mask"], decision["sensor"], decision["direction"]) == (False, "ir-0", "in")
    assert decision["person"] == {
        "id": "S1",
        "name": "Li Wei",
        "kind": "student",
        "masked_id": "**1234",
    }
    assert decision["celsius"] == 36.6
    assert status["type"] == "status"
    assert status["devices"]["thermometer"]["state"] == "ok"  # type: ignore[index]


def test_publish_from_another_thread_wakes_the_loop_once_per_burst() -> None:
    async def run() -> int:
        hub = Hub(queue_max=1000)
        loop = asyncio.get_running_loop()
        hub.bind(loop)
        subscriber = hub.subscribe(frozenset({events.DECISION}), None)
        await asyncio.to_thread(
            lambda: [hub.publish_threadsafe(event("north-1", n)) for n in range(500)]
        )
        for _ in range(100):
            if subscriber.queue.qsize() == 500:
                break
            await asyncio.sleep(0.01)
        return subscriber.queue.qsize()

    assert run_async(run()) == 500


def test_uuid7_event_ids_order_like_time() -> None:
    assert uuid7(1) < uuid7(2)
