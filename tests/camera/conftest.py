"""Fixtures for code-reader tests: a hand-moved clock, waiting helpers, and a guard
that turns any exception a reader logs (and swallows) into a test failure."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

WAIT_S = 10.0


class FakeClock:
    """Monotonic seconds that move only when a test moves them."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll ``condition`` until it holds; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


@pytest.fixture(autouse=True)
def no_swallowed_exceptions(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[None]:
    """A reader logs unexpected exceptions and carries on; in tests that is a failure."""
    caplog.set_level(logging.INFO)
    yield
    if "expect_logged_exceptions" in request.fixturenames:
        return
    swallowed = [r for r in caplog.records if r.exc_info is not None]
    assert not swallowed, f"exceptions were logged: {[r.getMessage() for r in swallowed]}"


@pytest.fixture
def expect_logged_exceptions() -> None:
    """Marks a test that provokes exceptions a reader must log and survive."""
