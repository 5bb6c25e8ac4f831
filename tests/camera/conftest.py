"""Code-reader tests move time by hand (an exception a reader logs and swallows fails
the test: tests/fixtures/guards.py)."""

from __future__ import annotations

import pytest

from tests.fixtures.waiting import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
