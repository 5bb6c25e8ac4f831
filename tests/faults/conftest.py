"""Fault tests start their own Mosquitto (``own_broker``) and central processes; SQLite."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


@pytest.fixture
def campus_db(sqlite_url: str) -> str:
    return sqlite_url
