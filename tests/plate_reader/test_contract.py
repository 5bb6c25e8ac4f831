"""One contract for every plate reader: the simulator, the line driver on pyserial's
``loop://``, and the line driver on a real pseudo-terminal (the camera's end written by
the test).  A plate shown comes out once, canonical; garbage never becomes a plate."""

from __future__ import annotations

import os
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.plate_reader import (
    LinePlateReader,
    PlateLines,
    PlateReader,
    SimulatedPlateReader,
    open_plate_reader,
)
from kernel.plates import plate_or_none

WAIT_S = 5.0


@dataclass
class Rig:
    reader: PlateReader
    send: Callable[[bytes], None]
    rejected: Callable[[], int]


def _sim_rig() -> Iterator[Rig]:
    reader = SimulatedPlateReader("contract-sim")
    reader.start()
    yield Rig(reader, reader.raw, lambda: reader.rejected)
    reader.stop()


def _loop_rig() -> Iterator[Rig]:
    reader = LinePlateReader("loop://", name="contract-loop")
    reader.start()
    assert reader.wait_open(WAIT_S)

    def send(data: bytes) -> None:
        assert reader.port is not None
        reader.port.write(data)

    yield Rig(reader, send, lambda: reader.rejected)
    reader.stop()


def _pty_rig() -> Iterator[Rig]:
    camera, device = os.openpty()
    tty.setraw(device)
    reader = LinePlateReader(os.ttyname(device), name="contract-pty")
    reader.start()
    assert reader.wait_open(WAIT_S)
    yield Rig(reader, lambda data: os.write(camera, data) and None, lambda: reader.rejected)
    reader.stop()
    os.close(camera)
    os.close(device)


@pytest.fixture(params=[_sim_rig, _loop_rig, _pty_rig], ids=["sim", "line-loop", "line-pty"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from request.param()


def test_a_plate_shown_is_read_once_in_canonical_form(rig: Rig) -> None:
    assert rig.reader.health()[0] == "ok"
    rig.send("京a·12345,0.97\r\n".encode())
    read = rig.reader.next_read(WAIT_S)
    assert read is not None
    assert (read.plate, read.confidence) == ("京A12345", Decimal("0.97"))
    assert rig.reader.next_read(0.05) is None


def test_garbage_is_counted_and_never_a_plate(rig: Rig) -> None:
    rig.send(b"\xff\xfe\r\nAB12345\r\n" + b"X" * 500 + "\r\n京A12345,7\r\n".encode())
    rig.send("粤BD12345\n".encode())  # a good one after the garbage still comes through
    read = rig.reader.next_read(WAIT_S)
    assert read is not None
    assert read.plate == "粤BD12345"
    assert rig.rejected() == 4


def test_a_stopped_reader_says_so(rig: Rig) -> None:
    rig.reader.stop()
    assert rig.reader.health()[0] == "fault"


def test_the_front_opens_what_the_setting_names() -> None:
    assert open_plate_reader(None) is None
    assert open_plate_reader("none") is None
    assert isinstance(open_plate_reader("sim"), SimulatedPlateReader)
    camera = open_plate_reader("serial+socket://127.0.0.1:4001?baud=115200")
    assert isinstance(camera, LinePlateReader)
    assert (camera.url, camera.baudrate) == ("socket://127.0.0.1:4001", 115200)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_yield_anything_but_canonical_plates(data: bytes) -> None:
    lines = PlateLines()
    for plate, confidence in [*lines.feed(data), *lines.feed(b"\n")]:
        assert plate_or_none(plate) == plate
        assert Decimal(0) <= confidence <= Decimal(1)


@given(st.lists(st.binary(max_size=20), max_size=20))
def test_the_parser_does_not_care_how_the_bytes_are_split(chunks: list[bytes]) -> None:
    whole, split = PlateLines(), PlateLines()
    data = b"".join(chunks) + "\n京A12345\n".encode()
    assert list(whole.feed(data)) == [
        p for chunk in (data[:7], data[7:]) for p in split.feed(chunk)
    ]
