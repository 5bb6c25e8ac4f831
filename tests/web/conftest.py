"""The web tests' campus lives in the database of their web users; ``clock`` moves the server's."""

from __future__ import annotations

import pytest

from tests.fixtures.web_server import ShiftedClock


@pytest.fixture
def campus_db(users: str) -> str:
    return users


@pytest.fixture
def clock(web_clock: ShiftedClock) -> ShiftedClock:
    return web_clock
