"""Stable worker ids for replicas that have none of their own (``--worker-id auto``).

Every worker id is its own persistent MQTT session, and Mosquitto keeps giving
an offline session its share of the shared subscription.  Container replicas
must therefore come back under the ids they had, also after an upgrade
recreates them.  ``auto`` claims the lowest free slot 1..MAX_SLOTS with a lock
that dies with the process: a PostgreSQL session advisory lock (the database
every worker already shares), or on SQLite an ``flock`` on a file beside the
database.  Three replicas are always workers 1, 2 and 3.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from services.errors import ConfigError, StorageError

log = logging.getLogger(__name__)

MAX_SLOTS = 64
LOCK_NAMESPACE = b"campusgate-central-worker:"


class WorkerLease(Protocol):
    worker_id: str

    def release(self) -> None: ...


def _site_key(site: str) -> int:
    """A signed 32-bit advisory-lock key for the site (the slot is the second key)."""
    digest = hashlib.sha256(LOCK_NAMESPACE + site.encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class _PostgresLease:
    def __init__(self, worker_id: str, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        self.worker_id = worker_id
        self._connection = connection

    def release(self) -> None:
        self._connection.close()  # the session lock goes with the session


class _FileLease:
    def __init__(self, worker_id: str, fd: int) -> None:
        self.worker_id = worker_id
        self._fd = fd

    def release(self) -> None:
        os.close(self._fd)  # the flock goes with the descriptor


def _claim_postgres(db_url: str, site: str, max_slots: int) -> WorkerLease:
    url = make_url(db_url).set(drivername="postgresql")
    try:
        connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    except psycopg.Error as exc:
        raise StorageError(f"cannot claim a worker slot: {exc}") from exc
    key = _site_key(site)
    for slot in range(1, max_slots + 1):
        row = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (key, slot)).fetchone()
        if row is not None and row[0]:
            return _PostgresLease(str(slot), connection)
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


def claim_worker_id(db_url: str, site: str, *, max_slots: int = MAX_SLOTS) -> WorkerLease:
    """The lowest free worker id of ``site``, held until ``release()`` or process exit."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ConfigError(f"bad database URL {db_url!r}") from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        lease = _claim_postgres(db_url, site, max_slots)
    elif backend == "sqlite" and url.database and url.database != ":memory:":
        lease = _claim_file(Path(url.database), site, max_slots)
    else:
        raise ConfigError("--worker-id auto needs PostgreSQL or an SQLite file")
    log.info("claimed worker slot %s of site %s", lease.worker_id, site)
    return lease
