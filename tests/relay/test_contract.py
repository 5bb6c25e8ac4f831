"""One contract for every Turnstile: the USB relay driver on a real pseudo-terminal
(the fake LCUS-1 board on the other end), the same driver on pyserial's ``loop://``,
and ``NoRelay`` for lanes without one.  Where the rig can see the relay (the fake
board), the suite also checks what the turnstile physically did."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from devices.relay import NoRelay, RelayError, Turnstile, UsbRelay
from devices.relay.simulator import FakeRelayBoard

WAIT_S = 5.0
RETURNS_WITHIN_S = 0.1
"""Commands never wait for the pulse (or for a slow port): the agent's loop must go on."""


@dataclass
class Rig:
    turnstile: Turnstile
    # The released/locked history the relay went through, when the rig can see it.
    changes: Callable[[], list[bool]] | None
    wait: Callable[[Callable[[list[bool]], bool]], bool]
    unplug: Callable[[], None] | None


def _board_rig() -> Iterator[Rig]:
    with FakeRelayBoard() as board:

        def wait(condition: Callable[[list[bool]], bool]) -> bool:
            return board.wait_for(lambda b: condition([c.closed for c in b.changes]), WAIT_S)

        yield Rig(
            UsbRelay(board.port, name="contract-usb", refresh_s=None, retry_s=0.01),
            lambda: [c.closed for c in board.changes],
            wait,
            board.unplug,
        )


def _loop_rig() -> Iterator[Rig]:
    yield Rig(UsbRelay("loop://", name="contract-loop", refresh_s=None), None, _unseen, None)


def _none_rig() -> Iterator[Rig]:
    yield Rig(NoRelay("contract-none"), None, _unseen, None)


def _unseen(condition: Callable[[list[bool]], bool]) -> bool:
    return True  # nothing to watch: the return values and health are the whole contract


@pytest.fixture(params=[_board_rig, _loop_rig, _none_rig], ids=["usb-pty", "usb-loop", "none"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    generator = request.param()
    built: Rig = next(generator)
    yield built
    built.turnstile.shutdown()
    generator.close()


def _timed(command: Callable[[], bool]) -> tuple[bool, float]:
    started = time.monotonic()
    result = command()
    return result, time.monotonic() - started


def test_start_leaves_it_locked_and_healthy(rig: Rig) -> None:
    rig.turnstile.start()
    assert rig.turnstile.health()[0] == "ok"
    if rig.changes is not None:
        assert rig.changes() == []  # locked at power-up and told to stay locked


def test_a_pulse_returns_at_once_and_locks_again_by_itself(rig: Rig) -> None:
    rig.turnstile.start()
    sent, took = _timed(lambda: rig.turnstile.pulse(0.2))
    assert sent is True
    assert took < RETURNS_WITHIN_S
    assert rig.wait(lambda changes: changes == [True, False])
    assert rig.turnstile.health()[0] == "ok"


def test_open_holds_until_close(rig: Rig) -> None:
    rig.turnstile.start()
    assert rig.turnstile.open() is True
    assert rig.wait(lambda changes: changes == [True])
    assert rig.turnstile.close() is True
    assert rig.wait(lambda changes: changes == [True, False])


@pytest.mark.parametrize("seconds", [0, -1, 61])
def test_silly_pulse_lengths_are_refused(rig: Rig, seconds: float) -> None:
    rig.turnstile.start()
    with pytest.raises(RelayError):
        rig.turnstile.pulse(seconds)


def test_shutdown_locks_and_leaves_no_thread_behind(rig: Rig) -> None:
    rig.turnstile.start()
    assert rig.turnstile.pulse(30)
    rig.turnstile.shutdown()
    assert rig.wait(lambda changes: changes == [True, False])
    assert not [t for t in threading.enumerate() if t.name.startswith(rig.turnstile.name)]


# Only a rig with a device to pull out can fail.
@pytest.mark.parametrize("rig", [_board_rig], ids=["usb-pty"], indirect=True)
def test_a_device_failure_is_health_and_false_never_an_exception(rig: Rig) -> None:
    assert rig.unplug is not None
    rig.turnstile.start()
    rig.unplug()
    sent, took = _timed(lambda: rig.turnstile.pulse(0.05))
    assert sent is False
    assert took < RETURNS_WITHIN_S
    assert rig.turnstile.health()[0] == "fault"
