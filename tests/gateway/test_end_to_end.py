"""One gate agent with every device simulated at its lowest layer, the real central
service, the real Mosquitto: a person's code in front of the camera and a reading from
the pty thermometer end at the relay board (issue 4, "tests that must exist")."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.code_reader.camera.simulator import SimulatedCamera
from devices.relay.simulator import FakeRelayBoard
from devices.relay.usb import UsbRelay
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.simulator import ThermometerSimulator
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import Inbox
from gateway.agent.uplink import MqttUplink
from kernel.bus.mqtt import parse_broker_url
from kernel.clock import SystemClock
from schemas.messages import Decision, FeverAlert, GateStatus, Passage
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.storage.models import IsolationCaseRow
from tests.fixtures.campus import Campus

pytestmark = pytest.mark.mqtt

GATE = "north-1"
ANSWER_S = 10.0


@dataclass
class Lane:
    agent: GateAgent
    camera: SimulatedCamera
    thermometer: ThermometerSimulator
    board: FakeRelayBoard
    decisions: queue.SimpleQueue[tuple[Decision, Passage | None]]

    def person(self, code: str, celsius: str) -> Decision:
        """Show ``code`` to the camera, measure ``celsius``, return the decision."""
        self.camera.scene.show(code)
        self.thermometer.person(Decimal(celsius))
        decision, _ = self.decisions.get(timeout=ANSWER_S)
        self.camera.scene.show_nothing()
        return decision

    def pulses(self) -> int:
        return sum(1 for change in self.board.changes if change.relay == 1 and change.closed)


@pytest.fixture
def lane(broker: LocalBroker, site: str, tmp_path: Path, central: CentralWorker) -> Iterator[Lane]:
    clock = SystemClock()
    inbox = Inbox()
    simulator = ThermometerSimulator("lu90614", tmp_path / "ttyTHERMO", seed=7, corrupt_rate=0.3)
    simulator.plug()
    board = FakeRelayBoard()
    camera = SimulatedCamera(name="camera", on_scan=inbox.scan_sink, fps=30)
    decisions: queue.SimpleQueue[tuple[Decision, Passage | None]] = queue.SimpleQueue()
    agent = GateAgent(
        LaneConfig(site=site, gate=GATE, pulse_s=0.2, decision_timeout_s=ANSWER_S),
        inbox=inbox,
        uplink=MqttUplink(
            parse_broker_url(broker.url), site=site, gate=GATE, inbox=inbox, now=clock.now()
        ),
        turnstile=UsbRelay(board.port),
        thermometer=SerialThermometer(
            str(simulator.link),
            protocol="lu90614",
            sensor="ir-0",
            clock=clock,
            on_event=inbox.thermometer_sink,
        ),
        readers=(camera,),
        clock=clock,
        on_decision=lambda d, p: decisions.put((d, p)),
    )
    agent.start()
    yield Lane(agent, camera, simulator, board, decisions)
    agent.stop()
    board.close()
    simulator.close()


def test_admit_opens_fever_isolates_unknown_is_denied(
    lane: Lane, campus: Campus, site: str, sqlite_url: str, broker: LocalBroker, listen: object
) -> None:
    clinic = listen(broker.url, site_topic(site, SiteChannel.FEVER_ALERT))  # type: ignore[operator]
    alice, bob = campus.people[0], campus.people[1]

    admitted = lane.person(campus.code(alice.person_id), "36.5")
    assert (admitted.decision, admitted.reasons) == ("admit", [])
    assert admitted.person is not None
    assert admitted.person.name == alice.name
    assert lane.board.wait_for(lambda b: lane.pulses() == 1)
    assert lane.board.wait_for(lambda b: not b.states[1])  # locked again after the pulse

    fever = lane.person(campus.code(bob.person_id), "37.3")
    assert (fever.decision, fever.reasons) == ("isolate", ["fever"])
    alert = FeverAlert.model_validate_json(clinic.get().payload)
    assert (alert.case_id, alert.celsius, alert.gate) == (fever.case_id, Decimal("37.3"), GATE)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            case = session.scalars(select(IsolationCaseRow)).one()
    finally:
        engine.dispose()
    assert (case.case_id, case.person_id, case.status) == (fever.case_id, bob.person_id, "open")

    stranger = lane.person(campus.code("nobody-at-all"), "36.6")
    assert (stranger.decision, stranger.reasons) == ("deny", ["not_whitelisted"])
    assert lane.pulses() == 1  # neither the fever nor the stranger opened it
    assert lane.agent.thermo_counts.faults > 0  # the corrupted frames were seen, not used


def test_status_is_retained_with_device_health(
    lane: Lane, site: str, broker: LocalBroker, listen: object
) -> None:
    topic = gate_topic(site, GATE, GateChannel.STATUS)
    watcher = listen(broker.url, topic)  # type: ignore[operator]
    deadline = datetime.now(UTC).timestamp() + ANSWER_S
    while True:
        status = GateStatus.model_validate_json(watcher.get().payload)
        healthy = all(status.devices[d].state == "ok" for d in ("thermometer", "camera"))
        if healthy or datetime.now(UTC).timestamp() > deadline:
            break
    assert status.online
    assert status.devices["thermometer"].state == "ok"
    assert status.devices["camera"].state == "ok"
    assert status.devices["turnstile"].state == "ok"


def test_unplugged_thermometer_shows_in_the_status_and_comes_back(
    lane: Lane, site: str, broker: LocalBroker, listen: object
) -> None:
    watcher = listen(broker.url, gate_topic(site, GATE, GateChannel.STATUS))  # type: ignore[operator]

    def wait_state(state: str) -> GateStatus:
        while True:  # generous: the reconnect backoff runs on a loaded machine too
            status = GateStatus.model_validate_json(watcher.get(timeout=30).payload)
            if status.devices["thermometer"].state == state:
                return status

    wait_state("ok")
    lane.thermometer.unplug()
    detail = wait_state("fault").devices["thermometer"].detail
    assert "disconnected" in detail or "cannot open" in detail
    lane.thermometer.plug()
    wait_state("ok")
