"""The USB relay driver against the fake board through a real pseudo-terminal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from devices.relay import NoRelay, UsbRelay
from devices.relay.frames import command_frame
from devices.relay.simulator import FakeRelayBoard, RelayChange
from devices.relay.turnstile import RelayError

CLOSE_1 = bytes.fromhex("A0 01 01 A2")
OPEN_1 = bytes.fromhex("A0 01 00 A1")
WAIT_S = 5.0
# The board stamps a frame when its reader thread gets it: on a loaded machine the first
# frame of a pulse may be read a scheduler slice late, so a gap can look that much shorter.
READ_JITTER_S = 0.02


@pytest.fixture
def board() -> Iterator[FakeRelayBoard]:
    with FakeRelayBoard() as fake:
        yield fake


@pytest.fixture
def relay(board: FakeRelayBoard) -> Iterator[UsbRelay]:
    driver = UsbRelay(board.port, refresh_s=None, retry_s=0.01)
    driver.start()
    yield driver
    driver.shutdown()


def _eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _received(board: FakeRelayBoard, count: int) -> bool:
    return board.wait_for(lambda b: len(b.received) >= 4 * count, WAIT_S)


def test_start_locks_the_turnstile(relay: UsbRelay, board: FakeRelayBoard) -> None:
    assert _received(board, 1)
    assert bytes(board.received) == OPEN_1
    assert relay.health() == ("ok", "relay 1 locked")


def test_pulse_puts_exactly_the_documented_frames_on_the_wire(
    relay: UsbRelay, board: FakeRelayBoard
) -> None:
    started = time.monotonic()
    assert relay.pulse(0.2)
    returned = time.monotonic() - started
    assert returned < 0.1  # the caller does not wait for the pulse
    assert _received(board, 3)
    assert bytes(board.received) == OPEN_1 + CLOSE_1 + OPEN_1
    closed, opened = board.changes
    assert (closed.relay, closed.closed, opened.closed) == (1, True, False)
    assert 0.2 - READ_JITTER_S <= opened.at - closed.at < 1.0


def test_a_second_pulse_extends_the_first(relay: UsbRelay, board: FakeRelayBoard) -> None:
    relay.pulse(0.3)
    assert not board.wait_for(lambda b: len(b.changes) == 2, 0.15)
    relay.pulse(0.3)
    assert board.wait_for(lambda b: len(b.changes) == 2, WAIT_S)
    assert board.changes[1].at - board.changes[0].at >= 0.44 - READ_JITTER_S
    assert not board.states[1]


def test_a_shorter_second_pulse_does_not_cut_the_first(
    relay: UsbRelay, board: FakeRelayBoard
) -> None:
    relay.pulse(0.3)
    relay.pulse(0.01)
    assert board.wait_for(lambda b: len(b.changes) == 2, WAIT_S)
    # The board stamps arrival, and its thread may be scheduled late on a busy
    # machine; a pulse cut short by the second one would take 0.01 s, not 0.25.
    assert board.changes[1].at - board.changes[0].at >= 0.25


def test_open_holds_until_close_and_outlasts_a_pulse(
    relay: UsbRelay, board: FakeRelayBoard
) -> None:
    assert relay.open()
    assert relay.pulse(0.05)  # a person passing during a hold does not end it
    assert board.wait_for(lambda b: b.states[1], WAIT_S)
    assert relay.health() == ("ok", "relay 1 released")
    assert not board.wait_for(lambda b: not b.states[1], 0.2)  # the pulse ended long ago
    assert relay.close()
    assert board.wait_for(lambda b: not b.states[1], WAIT_S)
    assert [c.closed for c in board.changes] == [True, False]


def test_the_configured_relay_number_is_used(board: FakeRelayBoard) -> None:
    driver = UsbRelay(board.port, relay=3, refresh_s=None)
    driver.start()
    try:
        driver.open()
        assert board.wait_for(lambda b: b.states[3], WAIT_S)
        assert bytes(board.received) == command_frame(3, False) + command_frame(3, True)
        assert not board.states[1]
    finally:
        driver.shutdown()


@pytest.mark.parametrize("number", [0, 9])
def test_relay_numbers_outside_1_to_8_are_refused(number: int) -> None:
    with pytest.raises(RelayError):
        UsbRelay("loop://", relay=number)


def test_board_ignores_a_frame_with_a_bad_checksum(board: FakeRelayBoard) -> None:
    port = serial.serial_for_url(board.port, baudrate=9600)
    try:
        port.write(bytes.fromhex("A0 01 01 A3") + OPEN_1)  # over the wire, then a good frame
        assert board.wait_for(lambda b: len(b.commands) == 1, WAIT_S)
    finally:
        port.close()
    assert board.rejected["bad_checksum"] == 1
    assert not board.states[1]
    assert board.changes == []


def test_a_pulse_that_failed_is_not_replayed_when_the_board_returns() -> None:
    driver = UsbRelay("socket://127.0.0.1:9", refresh_s=None, retry_s=0.01)  # nothing there
    driver.start()
    try:
        assert driver.pulse(5) is False
        driver.url = "loop://"  # the board is back
        assert _eventually(lambda: driver.health()[0] == "ok")
        assert driver.health() == ("ok", "relay 1 locked")
    finally:
        driver.shutdown()


def test_starting_twice_is_refused(relay: UsbRelay) -> None:
    with pytest.raises(RelayError):
        relay.start()


def test_unplugged_board_is_a_fault_not_a_crash(relay: UsbRelay, board: FakeRelayBoard) -> None:
    assert _received(board, 1)
    board.unplug()
    assert relay.pulse(0.05) is False
    state, detail = relay.health()
    assert state == "fault"
    assert "relay 1" in detail
    assert relay.close() is False


def test_refresh_resends_the_state_and_notices_an_unplugged_board(board: FakeRelayBoard) -> None:
    driver = UsbRelay(board.port, refresh_s=0.05, retry_s=0.01)
    driver.start()
    try:
        assert _received(board, 3)  # the locked state, re-sent
        assert {bytes(board.received)[i : i + 4] for i in range(0, 12, 4)} == {OPEN_1}
        board.unplug()
        assert _eventually(lambda: driver.health()[0] == "fault")  # found without a command
    finally:
        driver.shutdown()


def test_shutdown_locks_and_stops_the_timer(board: FakeRelayBoard) -> None:
    driver = UsbRelay(board.port, refresh_s=None)
    driver.start()
    driver.pulse(30)
    assert board.wait_for(lambda b: b.states[1], WAIT_S)
    driver.shutdown()
    assert board.wait_for(lambda b: not b.states[1], WAIT_S)
    assert "turnstile-relay" not in {t.name for t in threading.enumerate()}


def test_a_port_that_cannot_open_is_a_fault_from_the_start() -> None:
    driver = UsbRelay("/dev/does-not-exist", refresh_s=None, retry_s=0.01)
    driver.start()
    try:
        assert driver.health()[0] == "fault"
        assert driver.pulse() is False
    finally:
        driver.shutdown()


def test_loop_url_carries_the_frames() -> None:
    driver = UsbRelay("loop://", refresh_s=None)
    driver.start()
    try:
        driver.pulse(0.01)
        port = driver._port
        assert port is not None
        deadline = time.monotonic() + WAIT_S
        data = b""
        while len(data) < 12 and time.monotonic() < deadline:
            data += port.read(port.in_waiting)
        assert data == OPEN_1 + CLOSE_1 + OPEN_1
    finally:
        driver.shutdown()


def test_no_relay_always_succeeds_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    gate = NoRelay("north-1")
    gate.start()
    assert gate.pulse(2)
    assert gate.open()
    assert gate.close()
    assert gate.health() == ("ok", "no relay: the guard opens the gate")
    gate.shutdown()
    assert any("open" in r.getMessage() for r in caplog.records)


def test_change_records_carry_times(board: FakeRelayBoard) -> None:
    board.inject(command_frame(4, True))
    (change,) = board.changes
    assert isinstance(change, RelayChange)
    assert change.relay == 4
    assert change.closed
    assert change.at <= time.monotonic()
