"""The web service's probes and metrics (per gate from the retained statuses), and the gate
agent's own: what an operator's Prometheus reads, with nobody's data in it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway.agent.observe import gate_registry
from gateway.agent.observe import readiness_checks as gate_checks
from kernel.bus.mqtt import MqttBus, parse_broker_url
from kernel.codes import new_key
from kernel.observe import ObserveServer
from schemas.messages import DeviceHealth, GateStatus
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.app import build_snapshot_publisher
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.web.observe import readiness_checks, web_registry
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.simulated_gate import make_lane
from tests.fixtures.waiting import wait_until
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt


def metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    )


def publish_status(broker: LocalBroker, status: GateStatus) -> None:
    bus = MqttBus(parse_broker_url(broker.url), client_id=f"status-{status.gate}-{status.site}")
    bus.connect()
    topic = gate_topic(status.site, status.gate, GateChannel.STATUS)
    bus.publish(topic, status.model_dump_json().encode(), qos=1, retain=True)
    bus.close()


def test_web_probes_and_per_gate_metrics(
    make_server: Callable[..., WebServer],
    users: str,
    broker: LocalBroker,
    site: str,
    tmp_path: Path,
) -> None:
    server = make_server(users, keys_dir=str(tmp_path / "keys"))
    assert httpx.get(f"{server.url}/healthz").text == "ok\n"
    assert wait_until(lambda: server.ctx.feed.connected)
    not_ready = httpx.get(f"{server.url}/readyz")
    assert (not_ready.status_code, not_ready.text) == (503, "not ready: keys\n")  # no key yet
    new_key(tmp_path / "keys")
    assert httpx.get(f"{server.url}/readyz").text == "ready\n"
    publish_status(broker, GateStatus(
        site=site, gate="east-9", online=True, ts=datetime.now(UTC), outbox=7,
        devices={"thermometer": DeviceHealth(state="degraded", detail="ambient 12 C"),
                 "camera": DeviceHealth(state="ok")},
    ))  # fmt: skip
    observe = ObserveServer(
        "127.0.0.1:0", web_registry(server.ctx), readiness_checks(server.ctx)
    ).start()
    try:
        url = f"http://127.0.0.1:{observe.port}/metrics"
        assert wait_until(lambda: 'gate="east-9"' in httpx.get(url).text)
        text = httpx.get(url).text
    finally:
        observe.stop()
    assert metric(text, 'campusgate_gate_online{gate="east-9"}') == 1
    assert metric(text, 'campusgate_gate_outbox{gate="east-9"}') == 7
    degraded = 'campusgate_gate_device_state{gate="east-9",device="thermometer",state="degraded"}'
    assert metric(text, degraded) == 1
    ok = 'campusgate_gate_device_state{gate="east-9",device="thermometer",state="ok"}'
    assert metric(text, ok) == 0
    assert metric(text, "campusgate_open_cases") == 0
    assert metric(text, "campusgate_notification_failures") == 0
    assert metric(text, 'campusgate_web_ready{check="keys"}') == 1


def test_the_gate_agent_serves_its_own(
    broker: LocalBroker,
    central: object,
    campus_db: str,
    campus: Campus,
    site: str,
    tmp_path: Path,
) -> None:
    settings = CentralSettings(site=site, mqtt=MqttSettings(url=broker.url),
                               db=DbSettings(url=campus_db), keys_dir=campus.keys_dir)  # fmt: skip
    snapshots = build_snapshot_publisher(settings)
    snapshots.start()
    lane = make_lane(broker.url, site=site, gate="north-1", workdir=tmp_path,
                     site_keys=campus.keys_dir)  # fmt: skip
    server = ObserveServer("127.0.0.1:0", gate_registry(lane.agent), gate_checks(lane.agent))
    server.start()
    lane.agent.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        lane.wait_snapshot()
        ready = wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200)
        assert ready, httpx.get(f"{base}/readyz").text
        for i in range(5):
            lane.person(long_lived(campus, i))
        lane.person(long_lived(campus, 0), celsius="38.0", expect="isolate")
        lane.wait_drained()
        text = httpx.get(f"{base}/metrics").text
    finally:
        lane.agent.stop()
        server.stop()
        snapshots.stop()
        snapshots.sessions.kw["bind"].dispose()
    assert metric(text, "campusgate_lane_passages_total") == 6
    assert metric(text, 'campusgate_lane_decisions_total{outcome="isolate"}') == 1
    assert metric(text, "campusgate_lane_decisions_total") == 6
    assert metric(text, "campusgate_lane_outbox") == 0
    assert metric(text, "campusgate_lane_connected") == 1
    for person in campus.people:
        assert person.name not in text
        assert person.person_id not in text
