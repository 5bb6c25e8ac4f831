"""A bus without a network thread (the central worker's): real Mosquitto, the caller polls."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from services.broker_admin.local_broker import LocalBroker, free_port, render_config


def polled(url: str, received: list[InboundMessage], *filters: str) -> MqttBus:
    bus = MqttBus(
        parse_broker_url(url),
        client_id=f"test-polled-{uuid.uuid4().hex[:8]}",
        on_message=received.append,
        subscriptions=tuple((f, 1) for f in filters),
    )
    bus.connect(network_thread=False)
    return bus


def poll_until(bus: MqttBus, done: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out polling"
        bus.poll(0.05)


@pytest.fixture
def small_window_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker whose CONNACK announces a Receive Maximum of 5."""
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    text = render_config(port)
    assert "max_inflight_messages 1000" in text
    config.write_text(text.replace("max_inflight_messages 1000", "max_inflight_messages 5"))
    with LocalBroker(port, workdir=tmp_path, config=config) as broker:
        yield broker


def test_messages_arrive_and_leave_on_the_callers_thread(broker: LocalBroker, site: str) -> None:
    received: list[InboundMessage] = []
    threads_before = {t.ident for t in threading.enumerate()}
    bus = polled(broker.url, received, f"{site}/in")
    try:
        assert {t.ident for t in threading.enumerate()} == threads_before  # no network thread
        answers: list[InboundMessage] = []
        other = polled(broker.url, answers, f"{site}/out")
        try:
            other.publish(f"{site}/in", b"ping", qos=1)
            poll_until(bus, lambda: bool(received))
            assert received[0].payload == b"ping"
            bus.publish(f"{site}/out", b"pong", qos=1)  # written at once, no poll needed
            bus.ack(received[0].mid)
            poll_until(other, lambda: bool(answers))
            assert answers[0].payload == b"pong"
            poll_until(bus, lambda: bus.unacknowledged == 0)
        finally:
            other.close()
    finally:
        bus.close()


def test_publishing_keeps_within_the_brokers_receive_maximum(
    small_window_broker: LocalBroker, site: str
) -> None:
    received: list[InboundMessage] = []
    listener = polled(small_window_broker.url, received, f"{site}/#")
    publisher = polled(small_window_broker.url, [])
    try:
        highest = 0
        for index in range(60):
            publisher.publish(f"{site}/burst", str(index).encode(), qos=1)
            highest = max(highest, publisher.unacknowledged)
        assert 1 <= highest <= 5
        poll_until(listener, lambda: len(received) == 60)
        assert [m.payload for m in received] == [str(i).encode() for i in range(60)]
        poll_until(publisher, lambda: publisher.unacknowledged == 0)
        assert publisher.refused_publishes == 0
    finally:
        publisher.close()
        listener.close()


def test_reconnects_after_the_broker_crashes_and_subscribes_again(
    tmp_path: Path, site: str
) -> None:
    received: list[InboundMessage] = []
    with LocalBroker(workdir=tmp_path / "broker") as broker:
        bus = polled(broker.url, received, f"{site}/in")
        try:
            broker.stop(signal.SIGKILL)
            poll_until(bus, lambda: not bus.connected)
            for _ in range(5):
                bus.poll(0.05)  # reconnecting while there is no broker: no exception
            broker.start()
            poll_until(bus, lambda: bus.connected)
            sender = polled(broker.url, [])
            try:
                # The broker lost the subscription with its memory; the bus renews it
                # right after the CONNACK, so a message may briefly find no subscriber.
                deadline = time.monotonic() + 15
                while not received and time.monotonic() < deadline:
                    sender.publish(f"{site}/in", b"after the crash", qos=1)
                    sender.poll(0)
                    for _ in range(10):
                        bus.poll(0.02)
            finally:
                sender.close()
            assert received[0].payload == b"after the crash"
        finally:
            bus.close()


def test_a_publish_that_finds_the_connection_gone_is_sent_after_the_reconnect(
    tmp_path: Path, site: str
) -> None:
    """Without a network thread the write happens in publish(): a dead socket must not raise."""
    with LocalBroker(workdir=tmp_path / "broker") as broker:
        bus = polled(broker.url, [])
        try:
            broker.stop(signal.SIGKILL)
            for index in range(3):  # the first write may still reach the kernel's buffer
                bus.publish(f"{site}/kept", str(index).encode(), qos=1)
                time.sleep(0.05)
            broker.start()
            received: list[InboundMessage] = []
            listener = polled(broker.url, received, f"{site}/kept")
            try:
                deadline = time.monotonic() + 20
                while {m.payload for m in received} != {b"0", b"1", b"2"}:
                    assert time.monotonic() < deadline, f"got {received}"
                    bus.poll(0.02)
                    listener.poll(0.02)
            finally:
                listener.close()
        finally:
            bus.close()
