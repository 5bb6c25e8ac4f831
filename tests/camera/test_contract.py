"""One contract for every CodeReader: the camera (simulated scene, real decoding),
the serial scanner (a real pty) and the keyboard wedge (a pipe)."""

from __future__ import annotations

import os
import threading
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from devices.code_reader.camera.simulator import SimulatedCamera
from devices.code_reader.contract import CodeReader
from devices.code_reader.scanner.reader import SerialScanner, SimulatedScanner
from tests.fixtures.waiting import WAIT_S, FakeClock, wait_until


@dataclass
class Rig:
    reader: CodeReader
    present: Callable[[str], None]
    withdraw: Callable[[], None]
    thread_prefix: str


def _camera(clock: FakeClock) -> Iterator[Rig]:
    camera = SimulatedCamera(fps=200, clock=clock, name="contract-camera")
    yield Rig(camera, camera.scene.show, camera.scene.show_nothing, "contract-camera")


def _serial(clock: FakeClock) -> Iterator[Rig]:
    master, slave = os.openpty()
    tty.setraw(slave)
    scanner = SerialScanner(os.ttyname(slave), clock=clock, name="contract-serial")

    def present(text: str) -> None:
        os.write(master, text.encode() + b"\r\n")

    try:
        yield Rig(scanner, present, lambda: None, "contract-serial")
    finally:
        os.close(master)
        os.close(slave)


def _wedge(clock: FakeClock) -> Iterator[Rig]:
    scanner = SimulatedScanner(clock=clock, name="contract-wedge")
    yield Rig(scanner, scanner.present, lambda: None, "contract-wedge")


@pytest.fixture(params=[_camera, _serial, _wedge], ids=["camera", "serial", "wedge"])
def rig(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Rig]:
    factory = request.param
    generator = factory(clock)
    built = next(generator)
    yield built
    built.reader.close()
    generator.close()


def test_health_is_fault_before_start_and_ok_once_running(rig: Rig) -> None:
    assert rig.reader.health()[0] == "fault"
    rig.reader.start()
    assert wait_until(lambda: rig.reader.health()[0] == "ok")


def test_a_presented_code_is_one_scan(rig: Rig, clock: FakeClock) -> None:
    rig.reader.start()
    assert wait_until(lambda: rig.reader.health()[0] == "ok")
    rig.present("CG1.contract.code")
    scan = rig.reader.scans.get(timeout=WAIT_S)
    assert (scan.text, scan.reader, scan.at) == ("CG1.contract.code", rig.reader.name, clock.now)
    rig.present("CG1.contract.code")  # again within the cooldown
    assert wait_until(lambda: rig.reader.stats()["duplicates"] >= 1)
    rig.present("S2021009999")
    assert rig.reader.scans.get(timeout=WAIT_S).text == "S2021009999"
    assert rig.reader.stats()["scans"] == 2


def test_the_same_code_after_the_cooldown_is_a_new_scan(rig: Rig, clock: FakeClock) -> None:
    rig.reader.start()
    assert wait_until(lambda: rig.reader.health()[0] == "ok")
    rig.present("REPEAT")
    assert rig.reader.scans.get(timeout=WAIT_S).text == "REPEAT"
    rig.withdraw()
    clock.advance(3.0)
    rig.present("REPEAT")
    assert rig.reader.scans.get(timeout=WAIT_S).text == "REPEAT"


def test_close_joins_every_thread(rig: Rig) -> None:
    rig.reader.start()
    assert wait_until(lambda: rig.reader.health()[0] == "ok")
    rig.reader.close()
    assert not [t for t in threading.enumerate() if t.name.startswith(rig.thread_prefix)]
