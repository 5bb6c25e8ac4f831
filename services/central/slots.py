"""Stable worker ids for replicas that have none of their own (``--worker-id auto``).

Every worker id is its own persistent MQTT session, and Mosquitto keeps giving
an offline session its share of the shared subscription.  Container replicas
must therefore come back under the ids they had, also after an upgrade
recreates them.  ``auto`` claims the lowest free slot 1..MAX_SLOTS with a lock
that dies with the process: a PostgreSQL session advisory lock (the database
every worker already shares), or on SQLite an ``flock`` on a file beside the
database.  Three replicas are always workers 1, 2 and 3.

Should the database session holding a slot end while the worker runs (a
database restart), another replica could claim the same id and the two would
take the broker session from each other; a watchdog therefore checks the lease
session and stops the worker (SIGTERM: finish the batch, exit) so that its
restart claims a slot afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kernel.errors import ConfigError, StorageError
from kernel.redact import redact_url

log = logging.getLogger(__name__)

MAX_SLOTS = 64
LEASE_CHECK_S = 10.0  # how often the watchdog checks the session holding the slot
LOCK_NAMESPACE = b"campusgate-central-worker:"


class WorkerLease(Protocol):
    worker_id: str

    def release(self) -> None: ...


def _site_key(site: str) -> int:
    """A signed 32-bit advisory-lock key for the site (the slot is the second key)."""
    digest = hashlib.sha256(LOCK_NAMESPACE + site.encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _stop_this_process() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


class _PostgresLease:
    def __init__(
        self,
        worker_id: str,
        connection: psycopg.Connection[tuple[object, ...]],
        on_lost: Callable[[], None],
        check_s: float,
    ) -> None:
        self.worker_id = worker_id
        self._connection = connection
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._watchdog = threading.Thread(
            target=self._watch, args=(on_lost, check_s), name="worker-lease", daemon=True
        )
        self._watchdog.start()

    def _watch(self, on_lost: Callable[[], None], check_s: float) -> None:
        while not self._released.wait(check_s):
            try:
                with self._lock:
                    self._connection.execute("SELECT 1")
            except psycopg.Error as exc:
                if self._released.is_set():
                    return
                log.error("lost the database session holding worker slot %s (%s): stopping, "
                          "so that a restart claims a slot again", self.worker_id, exc)  # fmt: skip
                on_lost()
                return

    def release(self) -> None:
        self._released.set()
        with self._lock:
            self._connection.close()  # the session lock goes with the session
        self._watchdog.join()


class _FileLease:
    def __init__(self, worker_id: str, fd: int) -> None:
        self.worker_id = worker_id
        self._fd = fd

    def release(self) -> None:
        os.close(self._fd)  # the flock goes with the descriptor


def _claim_postgres(
    db_url: str, site: str, max_slots: int, on_lost: Callable[[], None], check_s: float
) -> WorkerLease:
    url = make_url(db_url).set(drivername="postgresql")
    try:
        connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    except psycopg.Error as exc:
        raise StorageError(f"cannot claim a worker slot: {exc}") from exc
    key = _site_key(site)
    for slot in range(1, max_slots + 1):
        row = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (key, slot)).fetchone()
        if row is not None and row[0]:
            return _PostgresLease(str(slot), connection, on_lost, check_s)
    connection.close()
    raise ConfigError(f"all {max_slots} worker slots of site {site!r} are taken")


def _claim_file(database: Path, site: str, max_slots: int) -> WorkerLease:
    for slot in range(1, max_slots + 1):
        path = database.with_name(f"{database.name}.central-{site}-{slot}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return _FileLease(str(slot), fd)
    raise ConfigError(f"all {max_slots} worker slots of site {site!r} are taken")


def claim_worker_id(
    db_url: str,
    site: str,
    *,
    max_slots: int = MAX_SLOTS,
    on_lost: Callable[[], None] = _stop_this_process,
    check_s: float = LEASE_CHECK_S,
) -> WorkerLease:
    """The lowest free worker id of ``site``, held until ``release()`` or process exit.

    ``on_lost`` runs (once) if the database session holding a PostgreSQL lease ends.
    """
    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"bad database URL {redact_url(db_url)!r}") from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        lease = _claim_postgres(db_url, site, max_slots, on_lost, check_s)
    elif backend == "sqlite" and url.database and url.database != ":memory:":
        lease = _claim_file(Path(url.database), site, max_slots)
    else:
        raise ConfigError("--worker-id auto needs PostgreSQL or an SQLite file")
    log.info("claimed worker slot %s of site %s", lease.worker_id, site)
    return lease
