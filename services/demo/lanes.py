"""The demo's gate lanes: the real agent with every device simulated at its lowest layer.

Each lane has a thermometer simulator writing real LU90614 frames into a
pseudo-terminal that the real pyserial driver reads, a simulated camera whose
rendered frames go through the real OpenCV + zxing-cpp decode, and a fake
LCUS-1 relay board on another pty driven by the real relay driver.  The agent
is the one ``campusgate gate`` runs: outbox, snapshot, local decisions included.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from devices.code_reader.camera.simulator import SimulatedCamera
from devices.relay.simulator import FakeRelayBoard
from devices.relay.usb import UsbRelay
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.simulator import ThermometerSimulator
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import Inbox
from gateway.agent.uplink import MqttUplink
from gateway.outbox import Outbox, OutboxUplink
from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from kernel.bus.mqtt import parse_broker_url
from kernel.clock import SystemClock
from kernel.codes.keys import KeyRing
from schemas.messages import Decision, Direction, Passage

CAMERA_FPS = 15.0
PAIRING_WINDOW_S = 1.5
PULSE_S = 0.3


@dataclass
class DemoLane:
    gate: str
    agent: GateAgent
    camera: SimulatedCamera
    thermometer: ThermometerSimulator
    board: FakeRelayBoard
    outbox: Outbox
    decisions: queue.SimpleQueue[tuple[Decision, Passage | None]]

    def present(self, code: str | None, celsius: Decimal | None, *, no_mask: bool) -> None:
        """A person walks up: the guard marks a missing mask, the code and forehead are read."""
        if no_mask:
            self.agent.mark_no_mask()
        if celsius is not None:
            self.thermometer.person(celsius)
        if code is not None:
            self.camera.scene.show(code)

    def walk_on(self) -> None:
        self.camera.scene.show_nothing()

    def pulses(self) -> int:
        return sum(1 for change in self.board.changes if change.closed)

    def close(self) -> None:
        self.agent.stop()
        self.board.close()
        self.thermometer.close()


def start_lane(
    broker_url: str, *, site: str, gate: str, direction: Direction, workdir: Path
) -> DemoLane:
    clock = SystemClock()
    inbox = Inbox()
    thermometer = ThermometerSimulator("lu90614", workdir / f"tty-{gate}", corrupt_rate=0.02)
    thermometer.plug()
    board = FakeRelayBoard()
    camera = SimulatedCamera(name="camera", on_scan=inbox.scan_sink, fps=CAMERA_FPS)
    outbox = Outbox(workdir / f"{gate}-outbox.db")
    # The demo's gates trust the site's public keys, as gate.toml's site_keys_dir would say.
    snapshots = SnapshotStore(
        workdir / f"{gate}-snapshot.bin",
        site=site,
        gate=gate,
        trusted=KeyRing.load(workdir / "keys"),
        clock=clock,
    )
    decisions: queue.SimpleQueue[tuple[Decision, Passage | None]] = queue.SimpleQueue()
    agent = GateAgent(
        LaneConfig(
            site=site,
            gate=gate,
            direction=direction,
            pairing_window_s=PAIRING_WINDOW_S,
            pulse_s=PULSE_S,
            status_interval_s=5.0,
        ),
        inbox=inbox,
        uplink=OutboxUplink(
            MqttUplink(
                parse_broker_url(broker_url), site=site, gate=gate, inbox=inbox, now=clock.now()
            ),
            outbox,
        ),
        turnstile=UsbRelay(board.port),
        thermometer=SerialThermometer(
            str(thermometer.link),
            protocol="lu90614",
            sensor=f"ir-{gate}",
            clock=clock,
            on_event=inbox.thermometer_sink,
        ),
        readers=(camera,),
        clock=clock,
        snapshots=snapshots,
        on_decision=lambda d, p: decisions.put((d, p)),
    )
    agent.fallback = LocalDecider(
        snapshots,
        clock=clock,
        locked=lambda: agent.locked,
        last_contact=lambda: agent.last_contact,
        max_offline_age=timedelta(hours=12),
    )
    agent.start()
    return DemoLane(gate, agent, camera, thermometer, board, outbox, decisions)
