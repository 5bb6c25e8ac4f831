"""Gate agent benchmarks (issue 4): scan-to-relay latency, and the agent's CPU and memory.

In one run, against a private Mosquitto and the real ``campusgate central`` on SQLite:

``latency``: the agent in this process with a simulated camera (real OpenCV +
zxing-cpp decode of rendered frames), the real pyserial thermometer driver on a
pty simulator and the real relay driver on a pty relay board.  Per person: the
reading arrives first, then the code appears in front of the camera; timed until
the relay board sees relay 1 close.  Printed: code shown -> relay (includes the
wait for the next camera frame) and code decoded -> relay, p50/p99, against the
QoS 1 request/echo floor measured in the same run.

``load``: ``campusgate gate`` as its own process with the camera reading 640x480
frames at 15 fps (an image folder, paced and looped: a third of the frames show
a code) and a GY-MCU90614 streaming at 10 Hz with a person every 2 s; after a
warm-up, its CPU share and RSS over the measured window (target: RSS <= 120 MB,
DESIGN section 7, and well under one core).

    .venv/bin/python -m bench.gate [--people 300] [--seconds 60] [--part latency,load]
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from bench.central_process import ROOT, CentralProcess
from bench.floor import echo_floor
from bench.stats import percentile
from bench.workload import PERSON_IDS, REGULARS, SITE, prepare_database
from devices.code_reader.camera.scene import render
from devices.code_reader.camera.simulator import SimulatedCamera
from devices.code_reader.contract import Scan
from devices.relay.simulator import FakeRelayBoard
from devices.relay.usb import UsbRelay
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.simulator import ThermometerSimulator
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import Inbox
from gateway.agent.uplink import MqttUplink
from kernel.bus.mqtt import MqttBus, parse_broker_url
from kernel.clock import SystemClock
from kernel.codes import SigningKey, issue_code, new_key
from kernel.redact import redact_url
from schemas.messages import Decision, GateStatus, Passage
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker

GATE = "bench-1"
WAIT_S = 10.0
LOAD_FPS = 15.0
LOAD_FRAMES = 30
WARMUP_S = 10.0
RSS_TARGET_MB = 120.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def prepare_campus(workdir: Path, db_url: str | None = None) -> tuple[str, Path, SigningKey]:
    """A migrated database with the synthetic roster, and a signing key."""
    db_url = db_url or f"sqlite:///{workdir}/gate-bench.db"
    prepare_database(db_url)
    keys = workdir / "keys"
    return db_url, keys, new_key(keys)


def _code(key: SigningKey, index: int) -> str:
    subject = PERSON_IDS[index % REGULARS]
    return issue_code(
        key, subject=subject, typ="id", ttl=timedelta(hours=1), now=datetime.now(UTC), site=SITE
    )


def measure_latency(
    broker_url: str, key: SigningKey, people: int, workdir: Path
) -> dict[str, list[float]]:
    clock = SystemClock()
    inbox = Inbox()
    scans: queue.SimpleQueue[Scan] = queue.SimpleQueue()
    decisions: queue.SimpleQueue[tuple[Decision, Passage | None]] = queue.SimpleQueue()

    def on_scan(scan: Scan) -> None:
        scans.put(scan)
        inbox.scan_sink(scan)

    simulator = ThermometerSimulator("lu90614", workdir / "ttyBENCH", corrupt_rate=0.0)
    simulator.plug()
    board = FakeRelayBoard()
    camera = SimulatedCamera(name="camera", on_scan=on_scan, fps=30)
    agent = GateAgent(
        LaneConfig(site=SITE, gate=GATE, pulse_s=0.05, decision_timeout_s=WAIT_S),
        inbox=inbox,
        uplink=MqttUplink(
            parse_broker_url(broker_url), site=SITE, gate=GATE, inbox=inbox, now=clock.now()
        ),
        turnstile=UsbRelay(str(board.port)),
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
    shown: list[float] = []
    decoded: list[float] = []
    agent.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while agent.devices()["thermometer"].state != "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        for index in range(people):
            code = _code(key, index)
            readings = agent.thermo_counts.readings
            simulator.person(Decimal("36.50"))
            while agent.thermo_counts.readings == readings:
                time.sleep(0.001)
            closes = _closes(board)
            start = time.monotonic()
            camera.scene.show(code)
            if not board.wait_for(partial(_more_closes, than=closes), WAIT_S):
                raise RuntimeError(f"person {index}: the relay never closed")
            closed_at = next(c.at for c in reversed(board.changes) if c.closed)
            scan = scans.get(timeout=WAIT_S)
            decision, _ = decisions.get(timeout=WAIT_S)
            if decision.decision != "admit":
                raise RuntimeError(f"person {index}: {decision.decision} {decision.reasons}")
            shown.append((closed_at - start) * 1000)
            decoded.append((closed_at - scan.at) * 1000)
            camera.scene.show_nothing()
            board.wait_for(lambda b: not b.states[1], WAIT_S)
    finally:
        agent.stop()
        board.close()
        simulator.close()
    return {"shown": shown, "decoded": decoded}


def _closes(board: FakeRelayBoard) -> int:
    return sum(1 for change in board.changes if change.closed)


def _more_closes(board: FakeRelayBoard, *, than: int) -> bool:
    return _closes(board) > than


def load_frames(folder: Path, key: SigningKey) -> None:
    rng = np.random.default_rng(3)
    perturbations = ("clean", "blur", "tilt", "noise", "low_contrast", "glare", "rotation")
    for index in range(LOAD_FRAMES):
        text = _code(key, index) if index % 3 == 0 else None
        perturbation = perturbations[index % len(perturbations)] if text else "none"
        frame, _ = render(text, rng=rng, perturbation=perturbation)  # type: ignore[arg-type]
        cv2.imwrite(str(folder / f"frame-{index:03d}.png"), frame)


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure_load(
    broker_url: str, key: SigningKey, seconds: float, workdir: Path
) -> dict[str, float]:
    frames = workdir / "frames"
    frames.mkdir()
    load_frames(frames, key)
    simulator = ThermometerSimulator("gy-mcu90614", workdir / "ttyLOAD", corrupt_rate=0.02)
    simulator.plug()
    statuses: queue.SimpleQueue[GateStatus] = queue.SimpleQueue()
    watcher = MqttBus(
        parse_broker_url(broker_url),
        client_id="bench-gate-status",
        on_message=lambda m: statuses.put(GateStatus.model_validate_json(m.payload)),
        subscriptions=((gate_topic(SITE, "load-1", GateChannel.STATUS), 1),),
    )
    watcher.connect()
    stop = threading.Event()

    def stream() -> None:
        rng = random.Random(5)
        next_person = time.monotonic() + 2
        while not stop.wait(0.1):
            try:
                if time.monotonic() >= next_person:
                    simulator.person(Decimal(f"{rng.gauss(36.5, 0.3):.2f}"))
                    next_person += 2
                else:
                    simulator.idle()
            except OSError:
                return

    command = [
        str(ROOT / ".venv/bin/campusgate"), "gate", "--site", SITE, "--gate", "load-1",
        "--broker", broker_url,
        "--thermometer", f"serial://{simulator.link}?protocol=gy-mcu90614&offset=2.5",
        "--camera", str(frames), "--camera-fps", str(LOAD_FPS), "--camera-loop",
        "--relay", "none", "--site-keys", str(workdir / "keys"),
    ]  # fmt: skip
    writer = threading.Thread(target=stream, daemon=True)
    with (workdir / "gate-load.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        writer.start()
        time.sleep(WARMUP_S)
        cpu0, wall0 = _proc_cpu_s(process.pid), time.monotonic()
        rss: list[float] = [_proc_rss_mb(process.pid)]
        while time.monotonic() - wall0 < seconds:
            time.sleep(1)
            rss.append(_proc_rss_mb(process.pid))
        cpu = (_proc_cpu_s(process.pid) - cpu0) / (time.monotonic() - wall0)
        fps = 0.0
        while not statuses.empty():
            status = statuses.get()
            camera = status.devices.get("camera")
            if camera is not None and camera.metrics.get("fps"):
                fps = camera.metrics["fps"]
    finally:
        stop.set()
        process.terminate()
        process.wait(30)
        watcher.close()
        simulator.close()
    return {"cpu": cpu, "rss_start": rss[0], "rss_end": rss[-1], "rss_max": max(rss), "fps": fps}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--part", default="latency,load")
    args = parser.parse_args()
    parts = set(args.part.split(","))
    with (
        tempfile.TemporaryDirectory(prefix="campusgate-gate-bench-") as tmp,
        LocalBroker() as broker,
    ):
        workdir = Path(tmp)
        db_url, keys, key = prepare_campus(workdir)
        print(f"broker: private mosquitto at {redact_url(broker.url)}; central on SQLite")
        central = CentralProcess(broker.url, db_url, keys, workdir / "central.log", site=SITE)
        central.start()
        try:
            if "latency" in parts:
                echo = echo_floor(broker.url, 1000)
                floor50, floor99 = percentile(echo, 50), percentile(echo, 99)
                result = measure_latency(broker.url, key, args.people, workdir)
                print(f"floor: QoS 1 echo p50 {floor50:.3f} ms p99 {floor99:.3f} ms")
                print(
                    f"scan-to-relay over {args.people} people (central on SQLite, 30 fps camera):"
                )
                print("| from | p50 | p99 | p50 vs echo floor | p99 vs echo floor |")
                print("|---|---|---|---|---|")
                for name, label in (("shown", "code shown"), ("decoded", "code decoded")):
                    p50, p99 = percentile(result[name], 50), percentile(result[name], 99)
                    print(
                        f"| {label} -> relay | {p50:.2f} ms | {p99:.2f} ms | "
                        f"{p50 / floor50:.1f}x | {p99 / floor99:.1f}x |"
                    )
            if "load" in parts:
                load = measure_load(broker.url, key, args.seconds, workdir)
                verdict = "met" if load["rss_max"] <= RSS_TARGET_MB else "MISSED"
                print(
                    f"agent load over {args.seconds:.0f} s (camera {LOAD_FPS:.0f} fps 640x480, "
                    f"thermometer 10 Hz): CPU {load['cpu'] * 100:.1f} % of one core; "
                    f"RSS start {load['rss_start']:.1f} MB, end {load['rss_end']:.1f} MB, "
                    f"max {load['rss_max']:.1f} MB (target <= {RSS_TARGET_MB:.0f} MB: {verdict}); "
                    f"camera reported {load['fps']:.1f} fps"
                )
        finally:
            central.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
