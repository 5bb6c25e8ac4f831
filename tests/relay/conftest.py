"""Relay test set-up: an exception the driver logs and swallows fails the test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_swallowed_exceptions(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO)
    yield
    swallowed = [r for r in caplog.records if r.exc_info is not None]
    assert not swallowed, f"exceptions were logged: {[r.getMessage() for r in swallowed]}"
