"""The central worker seals the entry log by itself, between batches, shortly after commit."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.audit.chain import verify
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.storage.models import EntryChainRow, EntryRow
from tests.fixtures.campus import Campus
from tests.fixtures.central import StartCentral
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage

pytestmark = pytest.mark.mqtt


@pytest.fixture
def worker(start_central: StartCentral) -> CentralWorker:
    return start_central(seal_interval_s=0.2)


def test_worker_seals_what_it_logged(
    worker: CentralWorker, broker: LocalBroker, campus: Campus, site: str, engine: Engine
) -> None:
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        for index in range(20):
            assert gate.request(passage(site, campus.code(campus.people[index].person_id)))
    finally:
        gate.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(engine) as session:
            entries = session.scalar(select(func.count()).select_from(EntryRow))
            chained = session.scalar(select(func.count()).select_from(EntryChainRow))
        if chained == entries == 20:
            break
        time.sleep(0.2)
    assert (entries, chained) == (20, 20)
    with Session(engine) as session:
        assert verify(session=session).ok
