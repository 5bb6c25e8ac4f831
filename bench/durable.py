"""The least a passage's round trip can cost here: what it must wait for, measured alone.

A passage is answered only after its row is durably committed (DESIGN section 6)
and after its code's Ed25519 signature has been checked (section 5).  So no
central service can answer faster than the QoS 1 echo floor plus one durable
one-row commit plus one signature check; this module measures the last two on
this machine, for the same database settings the service uses.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from bench.stats import percentile

ROWS = 500
ROW = "x" * 600  # about an entry: the passage and the decision as JSON


def sqlite_commit_ms(path: Path, count: int = ROWS) -> float:
    """p50 of one-row commits on SQLite in WAL mode with synchronous=FULL (as the service)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, body TEXT)")
        times: list[float] = []
        for _ in range(count):
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("INSERT INTO floor (body) VALUES (?)", (ROW,))
            conn.execute("COMMIT")
            times.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return percentile(times, 50)


def postgres_commit_ms(db_url: str, count: int = ROWS) -> float:
    """p50 of one-row insert + commit round trips on PostgreSQL (its default durability)."""
    url = make_url(db_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        conn.execute("CREATE TEMPORARY TABLE floor (id serial PRIMARY KEY, body text)")
        conn.execute("SET synchronous_commit TO on")
        conn.commit()
        times: list[float] = []
        for _ in range(count):
            start = time.perf_counter()
            conn.execute("INSERT INTO floor (body) VALUES (%s)", (ROW,))
            conn.commit()
            times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)


def signature_check_ms(count: int = ROWS) -> float:
    """p50 of one Ed25519 signature check of a code-sized message."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    message = b"CG1." + b"p" * 160
    signature = private.sign(message)
    times: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        public.verify(signature, message)
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)
