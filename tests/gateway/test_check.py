"""``campusgate gate --check``: the installer's tool, against the pty simulators (issue 20)."""

from __future__ import annotations

import io
import os
import subprocess
import threading
import tty
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devices.relay.simulator import FakeRelayBoard
from devices.thermometer.simulator import ThermometerSimulator
from gateway.agent.check import check_devices
from gateway.agent.settings import GateSettings
from tests.fixtures.processes import ROOT, gate_command

SECONDS = 1.0
DEVICE_PACE_S = 0.05
"""How often the simulated devices send: the device's own pace, not a test's wait."""
CODE = "CG1.installer-test-code"


class Streaming:
    """Runs ``send`` at the device's pace on a thread until closed (a module that streams)."""

    def __init__(self, send: Callable[[], object]) -> None:
        self._stop = threading.Event()
        self._send = send
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(DEVICE_PACE_S):
            try:
                self._send()
            except OSError:
                return  # unplugged

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def stream() -> Iterator[Callable[[Callable[[], object]], Streaming]]:
    started: list[Streaming] = []

    def start(send: Callable[[], object]) -> Streaming:
        started.append(Streaming(send))
        return started[-1]

    yield start
    for streaming in started:
        streaming.close()


def run_check(**settings: str) -> tuple[int, str]:
    out = io.StringIO()
    problems = check_devices(GateSettings(gate="north-1", **settings), out=out, seconds=SECONDS)
    return problems, out.getvalue()


def test_a_good_lane_prints_readings_codes_and_the_relay_answer_and_passes(
    thermo: Callable[[str], ThermometerSimulator],
    stream: Callable[[Callable[[], object]], Streaming],
) -> None:
    sim = thermo("lu90614")
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        stream(lambda: sim.person(Decimal("36.60")))
        stream(lambda: os.write(master, CODE.encode() + b"\r\n"))
        with FakeRelayBoard() as board:
            problems, out = run_check(
                thermometer=f"serial://{sim.link}?protocol=lu90614",
                scanner=f"serial://{os.ttyname(slave)}",
                relay=f"serial://{board.port}",
            )
            # The check sends the safe frame only: the turnstile never opened.
            assert board.wait_for(lambda b: bool(b.commands))
            assert not any(change.closed for change in board.changes)
    finally:
        os.close(master)
        os.close(slave)
    assert problems == 0, out
    assert "last: body 36.60 C" in out
    assert CODE in out
    assert "the board took the 'locked' frame" in out
    assert out.rstrip().endswith("check: no problem found")


def test_a_surface_module_without_offset_is_a_problem_naming_the_setting(
    thermo: Callable[[str], ThermometerSimulator],
    stream: Callable[[Callable[[], object]], Streaming],
) -> None:
    sim = thermo("gy-mcu90614")
    stream(sim.idle)
    problems, out = run_check(thermometer=f"serial://{sim.link}?protocol=gy-mcu90614")
    assert problems == 1, out
    assert "PROBLEM: thermometer unconfigured" in out
    assert "set offset=" in out
    assert "last: ambient" in out  # it did read: only the setting is missing


def test_the_same_module_with_its_offset_passes(
    thermo: Callable[[str], ThermometerSimulator],
    stream: Callable[[Callable[[], object]], Streaming],
) -> None:
    sim = thermo("gy-mcu90614")
    stream(sim.idle)
    problems, out = run_check(thermometer=f"serial://{sim.link}?protocol=gy-mcu90614&offset=2.5")
    assert problems == 0, out


def test_a_module_speaking_another_protocol_is_a_problem(
    thermo: Callable[[str], ThermometerSimulator],
    stream: Callable[[Callable[[], object]], Streaming],
) -> None:
    sim = thermo("gy-mcu90614")
    stream(sim.idle)
    problems, out = run_check(thermometer=f"serial://{sim.link}?protocol=lu90614")
    assert problems == 1, out
    assert "0 reading(s)" in out
    assert "is protocol= (or baud=) right?" in out


def test_a_port_that_is_not_there_is_a_problem(tmp_path: Path) -> None:
    problems, out = run_check(
        thermometer=f"serial://{tmp_path / 'nothing'}?protocol=lu90614",
        relay=f"serial://{tmp_path / 'no-relay'}",
    )
    assert problems == 2, out
    assert "cannot open" in out
    assert "relay: the 'locked' frame was not taken" in out


def test_a_silent_streaming_module_is_a_problem_a_silent_triggered_one_is_not(
    thermo: Callable[[str], ThermometerSimulator],
) -> None:
    silent = thermo("ascii")
    problems, out = run_check(thermometer=f"serial://{silent.link}?protocol=ascii")
    assert (problems, "nothing received: is it the right port?" in out) == (1, True), out
    triggered = thermo("idc50")
    problems, out = run_check(thermometer=f"serial://{triggered.link}?protocol=idc50")
    assert problems == 0, out
    assert "sends only when someone is measured" in out


@pytest.mark.slow
def test_the_command_exits_non_zero_on_a_problem_and_zero_without(
    thermo: Callable[[str], ThermometerSimulator],
    stream: Callable[[Callable[[], object]], Streaming],
    tmp_path: Path,
) -> None:
    sim = thermo("gy-mcu90614")
    stream(sim.idle)

    def check(url: str) -> subprocess.CompletedProcess[str]:
        command = gate_command("--gate", "north-1", "--thermometer", url, "--check")
        return subprocess.run(
            [*command, "--check-seconds", "1"],
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "CAMPUSGATE_OUTBOX_PATH": str(tmp_path / "never.db")},
        )

    bad = check(f"serial://{sim.link}?protocol=gy-mcu90614")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "set offset=" in bad.stdout
    good = check(f"serial://{sim.link}?protocol=gy-mcu90614&offset=2.5")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "check: no problem found" in good.stdout
    assert not (tmp_path / "never.db").exists()  # the check touches no outbox
