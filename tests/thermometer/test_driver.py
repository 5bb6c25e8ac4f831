"""The real pyserial driver against the simulator through a real pseudo-terminal."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from devices.thermometer import Fault, Reading
from devices.thermometer.driver import SerialThermometer
from devices.thermometer.simulator import ThermometerSimulator
from kernel.clock import SystemClock

WAIT_S = 5.0


def next_reading(driver: SerialThermometer) -> Reading:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            event = driver.events.get(timeout=0.1)
        except queue.Empty:
            continue
        if isinstance(event, Reading):
            return event
    raise AssertionError("no reading arrived")


def wait_health(driver: SerialThermometer, state: str, detail: str = "") -> None:
    deadline = time.monotonic() + WAIT_S
    while driver.health()[0] != state or detail not in driver.health()[1]:
        assert time.monotonic() < deadline, f"health stayed {driver.health()}"
        time.sleep(0.02)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[ThermometerSimulator]:
    simulator = ThermometerSimulator("lu90614", tmp_path / "ttyTHERMO", seed=3, corrupt_rate=0.3)
    simulator.plug()
    yield simulator
    simulator.close()


@pytest.fixture
def driver(sim: ThermometerSimulator) -> Iterator[SerialThermometer]:
    therm = SerialThermometer(str(sim.link), protocol="lu90614", sensor="ir-0", clock=SystemClock())
    therm.start()
    wait_health(therm, "ok")
    yield therm
    therm.close()


def test_driver_reads_what_the_simulator_sends(
    sim: ThermometerSimulator, driver: SerialThermometer
) -> None:
    got = []
    for _ in range(20):
        sim.person()
        got.append(next_reading(driver).celsius)
    assert got == sim.sent
    fever = sim.person(Decimal("38.40"))
    assert fever
    assert next_reading(driver).celsius == Decimal("38.40")


def test_unplug_and_replug(sim: ThermometerSimulator, driver: SerialThermometer) -> None:
    sim.unplug()
    wait_health(driver, "fault")
    sim.plug()
    wait_health(driver, "ok")
    sim.person(Decimal("36.70"))
    assert next_reading(driver).celsius == Decimal("36.70")


def test_missing_port_is_a_fault_not_a_crash(tmp_path: Path) -> None:
    therm = SerialThermometer(
        str(tmp_path / "nothing"), protocol="ascii", sensor="x", clock=SystemClock()
    )
    therm.start()
    try:
        wait_health(therm, "fault", "cannot open")
    finally:
        therm.close()
    assert not any(isinstance(e, Reading) for e in iter_events(therm))


def iter_events(therm: SerialThermometer) -> list[Reading | Fault]:
    events: list[Reading | Fault] = []
    while not therm.events.empty():
        events.append(therm.events.get_nowait())
    return events


def test_simulate_command_feeds_the_driver(tmp_path: Path) -> None:
    import subprocess
    import sys

    link = tmp_path / "tty"
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "simulate",
            "thermometer",
            "--protocol",
            "ascii",
            "--link",
            str(link),
            "--rate",
            "50",
            "--duration",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        assert "thermometer (ascii)" in sim.stdout.readline()
        therm = SerialThermometer(str(link), protocol="ascii", sensor="x", clock=SystemClock())
        therm.start()
        try:
            assert Decimal("30") < next_reading(therm).celsius < Decimal("40")
        finally:
            therm.close()
    finally:
        sim.kill()
        sim.wait(10)
        if sim.stdout is not None:
            sim.stdout.close()


@pytest.mark.parametrize("protocol", ["gy-mcu90614", "lu90614", "idc50", "idc50-ascii", "ascii"])
def test_idle_baseline_is_never_a_person(protocol: str, tmp_path: Path) -> None:
    from devices.thermometer import make_parser
    from devices.thermometer.simulator import IDLE_FRAMES
    from gateway.pairing.pairer import DEFAULT_PRESENCE_MIN_C

    sim = ThermometerSimulator(protocol, tmp_path / "tty")
    parser = make_parser(protocol, "ir-0")
    now = datetime.now(UTC)
    frames = [
        IDLE_FRAMES[protocol](sim.ambient + Decimal(f"{sim.rng.gauss(0, 0.05):.2f}"))
        for _ in range(50)
    ]
    events = [event for frame in frames for event in parser.feed(frame, now)]
    if protocol.startswith("idc50"):
        assert frames == [b""] * 50  # these modules say nothing while nobody is there
    else:
        assert len(events) >= 50  # every idle frame is read: none is dropped as garbage
    for event in events:
        assert isinstance(event, Reading)
        # Baseline readings are ambient or surface; even a surface reading raised by
        # the largest allowed offset (5 C) stays below the presence line.
        assert event.kind in ("ambient", "surface")
        assert event.celsius + 5 < DEFAULT_PRESENCE_MIN_C


def test_idle_frames_reach_the_driver(sim: ThermometerSimulator, driver: SerialThermometer) -> None:
    sim.idle()
    reading = next_reading(driver)
    assert reading.kind == "surface"
    assert abs(reading.celsius - sim.ambient) < 1
