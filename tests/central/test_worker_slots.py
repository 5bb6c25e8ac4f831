"""``--worker-id auto``: replicas claim the lowest free slot, freed when their process dies."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.errors import ConfigError
from services.central.slots import claim_worker_id
from tests.fixtures.processes import ROOT

HOLD = """
import sys, time
from services.central.slots import claim_worker_id
lease = claim_worker_id(sys.argv[1], sys.argv[2])
print(lease.worker_id, flush=True)
time.sleep(60)
"""


def hold_in_another_process(db_url: str, site: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, db_url, site], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_replicas_get_one_two_three_and_a_dead_ones_slot_back(db_url: str, site: str) -> None:
    first = claim_worker_id(db_url, site)
    other, second = hold_in_another_process(db_url, site)
    third = claim_worker_id(db_url, site)
    try:
        assert (first.worker_id, second, third.worker_id) == ("1", "2", "3")
        other_site = claim_worker_id(db_url, f"{site}x")
        assert other_site.worker_id == "1"  # slots are per site
        other_site.release()
        # A replica killed outright frees its slot; its replacement resumes it.
        other.send_signal(signal.SIGKILL)
        other.wait(10)
        replacement = claim_worker_id(db_url, site)
        assert replacement.worker_id == "2"
        replacement.release()
        first.release()
        again = claim_worker_id(db_url, site)
        assert again.worker_id == "1"
        again.release()
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(10)
        if other.stdout is not None:
            other.stdout.close()
        third.release()


def test_all_slots_taken_and_unusable_databases(sqlite_url: str, site: str) -> None:
    leases = [claim_worker_id(sqlite_url, site, max_slots=2) for _ in range(2)]
    with pytest.raises(ConfigError, match="all 2 worker slots"):
        claim_worker_id(sqlite_url, site, max_slots=2)
    for lease in leases:
        lease.release()
    for bad in ("sqlite://", "mysql://x/y", "not a url"):
        with pytest.raises(ConfigError):
            claim_worker_id(bad, site)


def test_cli_runs_with_an_auto_worker_id(
    broker: object, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    from services.broker_admin.local_broker import LocalBroker

    assert isinstance(broker, LocalBroker)
    held = claim_worker_id(sqlite_url, site)  # slot 1 is taken: the worker must be 2
    log = tmp_path / "central.log"
    keys = tmp_path / "keys"
    subprocess.run([sys.executable, "-m", "services.cli.main", "keys", "new", "--dir", str(keys)],
                   check=True, cwd=ROOT, capture_output=True)  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "central", "--broker", broker.url,
             "--db", sqlite_url, "--site", site, "--keys", str(keys), "--worker-id", "auto"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    try:
        from tests.fixtures.mqtt import Listener, wait_live_policy

        listener = Listener(broker.url, (f"campusgate/v1/{site}/policy",))
        listener.bus.connect()
        try:
            wait_live_policy(listener)
        finally:
            listener.bus.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        held.release()
    text = log.read_text(encoding="utf-8")
    assert f"claimed worker slot 2 of site {site}" in text
    assert f"central worker 2 serving site {site}" in text


@pytest.mark.postgres
def test_a_lost_lease_stops_the_worker(postgres_url: str, site: str) -> None:
    import threading

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.fixtures.db import PG_SERVER

    lost = threading.Event()
    lease = claim_worker_id(postgres_url, site, on_lost=lost.set, check_s=0.05)
    try:
        assert not lost.wait(0.3)  # a healthy lease is left alone
        database = make_url(postgres_url).database
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = %s)",
                (database,),
            )
        assert lost.wait(10)
    finally:
        lease.release()
