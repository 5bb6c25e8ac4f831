"""Shared by the gate tests that need a campus and the real central service (in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.broker_admin.local_broker import LocalBroker
from services.central.app import build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.central.worker import CentralWorker
from tests.fixtures.campus import Campus, make_campus


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys")


@pytest.fixture
def central(
    broker: LocalBroker, sqlite_url: str, campus: Campus, site: str
) -> Iterator[CentralWorker]:
    worker = build_worker(
        CentralSettings(
            site=site,
            mqtt=MqttSettings(url=broker.url),
            db=DbSettings(url=sqlite_url),
            keys_dir=campus.keys_dir,
        )
    )
    worker.start()
    yield worker
    worker.stop()
