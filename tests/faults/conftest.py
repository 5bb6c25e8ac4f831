"""Fault tests start their own Mosquitto and central processes and stop them by PID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.campus import Campus, make_campus

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A persistent broker of this test only: it may be killed and restarted."""
    broker = LocalBroker(workdir=tmp_path / "broker", persistent=True)
    broker.start()
    yield broker
    broker.close()


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys")
