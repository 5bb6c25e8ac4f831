"""``campusgate central --http``: /metrics counts exactly what the gates sent, /readyz follows
the broker, and nothing on the page names a person."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from kernel.bus.mqtt import MqttBus, parse_broker_url
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.processes import Processes
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

SENT = 40


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    )


def test_metrics_count_the_passages_sent(
    own_broker: LocalBroker,
    campus_db: str,
    campus: Campus,
    site: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    port = spare_port()
    base = f"http://127.0.0.1:{port}"
    processes.central(
        "--broker", own_broker.url, "--db", campus_db, "--site", site,
        "--keys", str(campus.keys_dir), "--no-upgrade", "--http", f"127.0.0.1:{port}",
        log=tmp_path / "central.log",
    )  # fmt: skip
    assert wait_until(lambda: _status(f"{base}/readyz") == 200, timeout=30)
    assert httpx.get(f"{base}/healthz").text == "ok\n"
    gate = DecisionClient(own_broker.url, site=site).connect()
    try:
        sent = [passage(site, long_lived(campus, i % 5)) for i in range(SENT - 1)]
        sent.append(passage(site, long_lived(campus, 0), celsius="38.2"))
        for p in sent:
            assert gate.request(p) is not None
        assert gate.request(sent[0]) is not None  # sent again: answered, not logged twice
        junk = MqttBus(parse_broker_url(own_broker.url), client_id=f"junk-{site}")
        junk.connect()
        junk.publish(gate_topic(site, "north-1", GateChannel.PASSAGE), b'{"v": 1, "nope"', qos=1)
        junk.close()

        def scraped() -> str:
            return httpx.get(f"{base}/metrics").text

        assert wait_until(lambda: metric(scraped(), "campusgate_messages_rejected_total") == 1)
        text = scraped()
    finally:
        gate.close()
    assert metric(text, "campusgate_passages_decided_total") == SENT
    assert metric(text, 'campusgate_passages_decided_total{outcome="isolate"}') == 1
    assert metric(text, 'campusgate_passages_decided_total{outcome="admit"}') == SENT - 1
    assert metric(text, "campusgate_passages_redelivered_total") == 1
    assert metric(text, "campusgate_passages_received_total") == SENT + 2
    assert metric(text, "campusgate_decision_latency_seconds_count") == SENT + 2
    assert metric(text, "campusgate_batch_size_sum") == SENT + 2
    assert metric(text, 'campusgate_central_ready{check="broker"}') == 1
    for person in campus.people:  # nobody's name, id or number on the page
        for secret in (person.name, person.person_id, person.id_number):
            assert secret not in text, secret
    own_broker.stop()
    assert wait_until(lambda: _status(f"{base}/readyz") == 503)
    assert "broker: not connected" in httpx.get(f"{base}/readyz").text
    assert httpx.get(f"{base}/healthz").status_code == 200  # alive, only not ready


def _status(url: str) -> int:
    try:
        return httpx.get(url).status_code
    except httpx.TransportError:
        return 0
