"""Fixtures for code-reader tests: a hand-moved clock, and a guard that turns any
exception a reader logs (and swallows) into a test failure."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.fixtures.waiting import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
