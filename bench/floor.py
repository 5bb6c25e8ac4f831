"""MQTT floors measured in the same run as the figure they are compared with.

``echo``: a QoS 1 request/echo round trip through the broker (a Python echo
process answering on another topic); ``sink``: QoS 1 messages one way into one
Python subscriber process.  Both run the receiver as a separate process whose
one thread drives the connection (no network thread), like the central worker,
so the floor and the figure pay the same costs.  The sink's publisher drives
its connection too: through a network thread, paho's own window bookkeeping
would make the publisher, not the subscriber, the limit.
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.stats import percentile
from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url

REQUEST_TOPIC = "bench/echo/request"
REPLY_TOPIC = "bench/echo/reply"
SINK_TOPIC = "bench/sink"
READY = "ready"
POLL_S = 0.1
SINK_TIMEOUT_S = 120


def _bus(url: str, name: str, on_message: object = None, subs: tuple[str, ...] = ()) -> MqttBus:
    return MqttBus(
        parse_broker_url(url),
        client_id=f"bench-{name}-{uuid.uuid4().hex[:6]}",
        on_message=on_message,  # type: ignore[arg-type]
        subscriptions=tuple((s, 1) for s in subs),
    )


def run_echo(url: str) -> None:
    """Receiver process: answer every request on the reply topic (QoS 1)."""
    holder: list[MqttBus] = []
    stdin_closed = threading.Event()

    def echo(message: InboundMessage) -> None:
        holder[0].publish(REPLY_TOPIC, message.payload, qos=1)

    def watch_stdin() -> None:
        sys.stdin.read()  # runs until the parent closes our stdin
        stdin_closed.set()

    bus = _bus(url, "echo", echo, (REQUEST_TOPIC,))
    holder.append(bus)
    bus.connect(network_thread=False)
    threading.Thread(target=watch_stdin, daemon=True).start()
    print(READY, flush=True)
    while not stdin_closed.is_set():
        bus.poll(POLL_S)
    bus.close()


def run_sink(url: str, count: int) -> None:
    """Receiver process: count ``count`` messages, print the seconds first->last."""
    done = threading.Event()
    times: list[float] = []

    def sink(_message: InboundMessage) -> None:
        times.append(time.perf_counter())
        if len(times) >= count:
            done.set()

    bus = _bus(url, "sink", sink, (SINK_TOPIC,))
    bus.connect(network_thread=False)
    print(READY, flush=True)
    give_up = time.monotonic() + SINK_TIMEOUT_S
    while not done.is_set() and time.monotonic() < give_up:
        bus.poll(POLL_S)
    bus.close()
    print(f"{len(times)} {times[-1] - times[0] if len(times) > 1 else 0:.6f}", flush=True)


def _spawn(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != READY:
        process.kill()
        raise RuntimeError(f"bench receiver {args[0]} did not start")
    return process


def echo_floor(url: str, count: int, warmup: int = 200) -> list[float]:
    """Round-trip times in ms of ``count`` sequential QoS 1 request/echo pairs."""
    echo = _spawn("echo", url)
    replies: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    client = _bus(url, "requester", lambda m: replies.put(m.payload), (REPLY_TOPIC,))
    client.connect()
    rtts: list[float] = []
    try:
        for index in range(warmup + count):
            body = str(index).encode()
            start = time.perf_counter()
            client.publish(REQUEST_TOPIC, body, qos=1)
            while replies.get(timeout=10) != body:
                pass
            if index >= warmup:
                rtts.append((time.perf_counter() - start) * 1000)
    finally:
        client.close()
        assert echo.stdin is not None
        echo.stdin.close()
        echo.wait(10)
    return rtts


def sink_floor(url: str, count: int) -> float:
    """Messages per second of QoS 1 publishes into one Python subscriber process."""
    sink = _spawn("sink", url, str(count))
    client = _bus(url, "publisher")
    client.connect(network_thread=False)
    payload = b"x" * 400  # about the size of a passage
    try:
        for _ in range(count):
            client.publish(SINK_TOPIC, payload, qos=1)  # polls for PUBACKs when the window is full
        assert sink.stdout is not None
        received, seconds = sink.stdout.readline().split()
    finally:
        client.close()
        sink.wait(30)
    if int(received) < count:
        raise RuntimeError(f"sink floor lost messages: {received}/{count}")
    return count / float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["echo", "sink"])
    parser.add_argument("url")
    parser.add_argument("count", nargs="?", type=int, default=0)
    args = parser.parse_args()
    if args.role == "echo":
        run_echo(args.url)
    else:
        run_sink(args.url, args.count)


if __name__ == "__main__":
    main()

__all__ = ["echo_floor", "percentile", "sink_floor"]
