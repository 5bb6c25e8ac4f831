"""A throw-away PostgreSQL database on the local server for benchmarks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SERVER = os.environ.get("CAMPUSGATE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    name = f"campusgate_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{SERVER.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
