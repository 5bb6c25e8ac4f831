"""A big entry log for the administration benchmarks, built with bulk SQL.

``rows`` entries over ``rows / per_day`` consecutive days (200,000 a day by
default, the design's busy day), 50,000 persons over 8 gates, decisions and
reasons in realistic proportions, payloads of realistic size.  SQLite builds
it with one recursive-CTE ``INSERT ... SELECT`` per million rows; PostgreSQL
with ``generate_series``.  The secondary indexes are dropped during the load
and rebuilt after (a sort instead of 10 million random inserts); the schema
is otherwise the project's own, from its migrations.

    .venv/bin/python -m bench.dataset --rows 1000000 --db sqlite:///var/bench.db
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Index, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench.pgtemp import SERVER as PG_SERVER
from kernel.redact import redact_url
from services.storage.engine import make_engine, upgrade
from services.storage.models import EntryRow

TZ = ZoneInfo("Asia/Shanghai")
SITE = "main"
PERSONS = 50_000
PER_DAY = 200_000
GATES = ("north-1", "north-2", "north-3", "north-4", "south-1", "south-2", "east-1", "west-1")
# One row in 100 denies, 1 in 50 rechecks, 1 in 200 is a fever (isolate).
LAST_DAY = date(2026, 11, 23)
CHUNK = 1_000_000
PASSAGE_PAD = "x" * 180  # stands in for the signed code in the payload (about its length)


@dataclass(frozen=True)
class Dataset:
    rows: int
    days: int
    first_day: date
    last_day: date

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, dtime.min, tzinfo=TZ)


def plan(rows: int, per_day: int = PER_DAY) -> Dataset:
    days = max(1, -(-rows // per_day))
    return Dataset(rows=rows, days=days, first_day=LAST_DAY - timedelta(days=days - 1),
                   last_day=LAST_DAY)  # fmt: skip


def person_id(number: int) -> str:
    return f"P{number:05d}"


def _indexes() -> list[Index]:
    return [i for i in EntryRow.__table__.indexes if not i.unique]  # type: ignore[attr-defined]


def _sqlite_select(start_epoch: int, per_day: int, lo: int, hi: int) -> str:
    # Every value is a pure function of i, so the data is the same on both databases.
    return f"""
WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {hi - 1})
SELECT
  printf('00000000-0000-7000-8000-%012x', i),
  '{SITE}',
  CASE (i * 31 % 8) {" ".join(f"WHEN {k} THEN '{g}'" for k, g in enumerate(GATES))} END,
  CASE WHEN i % 5 = 0 THEN 'out' ELSE 'in' END,
  strftime('%Y-%m-%d %H:%M:%f', {start_epoch} + (i / {per_day}) * 86400
           + (i % {per_day}) * 86400.0 / {per_day}, 'unixepoch') || '000',
  printf('P%05d', (i * 7919) % {PERSONS}),
  CASE WHEN i % 200 = 7 THEN 'isolate' WHEN i % 100 = 3 THEN 'deny'
       WHEN i % 50 = 11 THEN 'recheck' ELSE 'admit' END,
  CASE WHEN i % 200 = 7 THEN 'fever' WHEN i % 100 = 3 THEN 'not_allowed_here'
       WHEN i % 50 = 11 THEN 'no_temperature' ELSE '' END,
  CASE WHEN i % 200 = 7 THEN 38.1 WHEN i % 50 = 11 THEN NULL ELSE 36.2 + (i % 9) / 10.0 END,
  'ir-' || (i * 31 % 8),
  CASE (i * 7919) % {PERSONS} % 10 WHEN 6 THEN 'staff' WHEN 7 THEN 'staff'
       WHEN 8 THEN 'family' WHEN 9 THEN 'family' ELSE 'student' END
FROM n"""


def build_sqlite(url: str, data: Dataset, per_day: int = PER_DAY, *, log: bool = True) -> None:
    upgrade(url)
    path = make_url(url).database
    assert path
    start = int(data.day_start(data.first_day).timestamp())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA temp_store=MEMORY")
    for index in _indexes():
        conn.execute(f"DROP INDEX IF EXISTS {index.name}")
    columns = ("event_id, site, gate, direction, ts, person_id, decision, reasons, celsius, "
               "sensor, kind")  # fmt: skip
    began = time.perf_counter()
    for lo in range(0, data.rows, CHUNK):
        hi = min(data.rows, lo + CHUNK)
        conn.execute("BEGIN")
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS staged ({columns})")
        conn.execute("DELETE FROM staged")
        conn.execute(f"INSERT INTO staged ({columns}) {_sqlite_select(start, per_day, lo, hi)}")
        conn.execute(f"""
            INSERT INTO entries (event_id, site, gate, direction, ts, received_at, decided_at,
                person_id, decision, reasons, celsius, policy_version, passage_json,
                decision_json, sensor, kind)
            SELECT event_id, site, gate, direction, ts, ts, ts, person_id, decision, reasons,
                celsius, 1,
                '{{"v":1,"event_id":"' || event_id || '","site":"main","gate":"' || gate ||
                '","direction":"' || direction || '","ts":"' || ts ||
                '","credentials":[{{"kind":"qr","data":"CG1.{PASSAGE_PAD}"}}],"temperature":' ||
                '{{"celsius":' || coalesce(celsius, 'null') || ',"sensor":"' || sensor || '"}}}}',
                '{{"v":1,"event_id":"' || event_id || '","decision":"' || decision ||
                '","reasons":["' || reasons || '"],"person":{{"id":"' || person_id ||
                '","name":"Bench Person","kind":"' || kind ||
                '","masked_id":"**************1234"}}}}',
                sensor, kind
            FROM staged""")
        conn.execute("COMMIT")
        if log:
            rate = hi / (time.perf_counter() - began)
            print(f"  sqlite: {hi:,}/{data.rows:,} rows ({rate:,.0f}/s)", flush=True)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for index in _indexes():
                index.create(connection, checkfirst=True)
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    conn.close()


def build_postgres(url: str, data: Dataset, per_day: int = PER_DAY, *, log: bool = True) -> None:
    upgrade(url)
    start = int(data.day_start(data.first_day).timestamp())
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    gates = "ARRAY[" + ",".join(f"'{g}'" for g in GATES) + "]"
    began = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for index in _indexes():
            conn.execute(f"DROP INDEX IF EXISTS {index.name}")  # type: ignore[arg-type]
        for lo in range(0, data.rows, CHUNK):
            hi = min(data.rows, lo + CHUNK)
            conn.execute(f"""
                INSERT INTO entries (event_id, site, gate, direction, ts, received_at, decided_at,
                    person_id, decision, reasons, celsius, policy_version, passage_json,
                    decision_json, sensor, kind)
                SELECT event_id, '{SITE}', gate, direction, ts, ts, ts, person_id, decision,
                    reasons, celsius, 1,
                    '{{"v":1,"event_id":"' || event_id || '","site":"main","gate":"' || gate ||
                    '","direction":"' || direction || '","ts":"' || ts ||
                    '","credentials":[{{"kind":"qr","data":"CG1.{PASSAGE_PAD}"}}],' ||
                    '"temperature":{{"celsius":' || coalesce(celsius::text, 'null') ||
                    ',"sensor":"' || sensor || '"}}}}',
                    '{{"v":1,"event_id":"' || event_id || '","decision":"' || decision ||
                    '","reasons":["' || reasons || '"],"person":{{"id":"' || person_id ||
                    '","name":"Bench Person","kind":"' || kind ||
                    '","masked_id":"**************1234"}}}}',
                    sensor, kind
                FROM (
                  SELECT
                    '00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0') AS event_id,
                    ({gates})[(i * 31 % 8) + 1] AS gate,
                    CASE WHEN i % 5 = 0 THEN 'out' ELSE 'in' END AS direction,
                    to_timestamp({start} + (i / {per_day}) * 86400
                                 + (i % {per_day}) * 86400.0 / {per_day}) AS ts,
                    'P' || lpad(((i * 7919) % {PERSONS})::text, 5, '0') AS person_id,
                    CASE WHEN i % 200 = 7 THEN 'isolate' WHEN i % 100 = 3 THEN 'deny'
                         WHEN i % 50 = 11 THEN 'recheck' ELSE 'admit' END AS decision,
                    CASE WHEN i % 200 = 7 THEN 'fever' WHEN i % 100 = 3 THEN 'not_allowed_here'
                         WHEN i % 50 = 11 THEN 'no_temperature' ELSE '' END AS reasons,
                    CASE WHEN i % 200 = 7 THEN 38.1 WHEN i % 50 = 11 THEN NULL
                         ELSE round(36.2 + (i % 9) / 10.0, 1) END AS celsius,
                    'ir-' || (i * 31 % 8) AS sensor,
                    CASE (i * 7919) % {PERSONS} % 10 WHEN 6 THEN 'staff' WHEN 7 THEN 'staff'
                         WHEN 8 THEN 'family' WHEN 9 THEN 'family' ELSE 'student' END AS kind
                  FROM generate_series({lo}::bigint, {hi - 1}::bigint) AS i
                ) AS g""")  # type: ignore[arg-type]
            if log:
                rate = hi / (time.perf_counter() - began)
                print(f"  postgres: {hi:,}/{data.rows:,} rows ({rate:,.0f}/s)", flush=True)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for index in _indexes():
                index.create(connection, checkfirst=True)
    finally:
        engine.dispose()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE entries")


def build_persons(url: str) -> None:
    """The roster the entries name (names for the audit views)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    rows = [
        {"person_id": person_id(n), "name": f"Person {n}", "kind": "student",
         "id_hash": f"{n:064x}", "id_last4": f"{n % 10000:04d}", "unit": "CS",
         "household": None, "gates": "*", "active": True, "return_approved": True,
         "updated_at": now}
        for n in range(PERSONS)
    ]  # fmt: skip
    try:
        with engine.begin() as connection:
            connection.execute(EntryRow.metadata.tables["persons"].insert(), rows)
    finally:
        engine.dispose()


def build(url: str, rows: int, per_day: int = PER_DAY, *, log: bool = True) -> Dataset:
    data = plan(rows, per_day)
    began = time.perf_counter()
    if make_url(url).get_backend_name() == "sqlite":
        build_sqlite(url, data, per_day, log=log)
    else:
        build_postgres(url, data, per_day, log=log)
    build_persons(url)
    if log:
        print(f"  built {rows:,} entries over {data.days} days in "
              f"{time.perf_counter() - began:,.0f} s (indexes included)", flush=True)  # fmt: skip
    return data


BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def _marker(url: str) -> int | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT rows FROM bench_meta")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def cached(backend: str, rows: int, *, fresh: bool = False) -> tuple[str, Dataset]:
    """A dataset of ``rows`` kept between runs (var/bench/ or a named PostgreSQL database)."""
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"entries-{rows}.db"
        url = f"sqlite:///{path}"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = f"campusgate_bench_r{rows}"
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            if fresh:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
            if (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                is None
            ):
                conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        url = f"postgresql+psycopg://{PG_SERVER.split('://', 1)[1]}/{name}"
    if _marker(url) == rows:
        print(f"  {backend}: reusing the {rows:,}-row dataset ({redact_url(url)})", flush=True)
        return url, plan(rows)
    if _marker(url) is not None:
        raise SystemExit(f"{redact_url(url)} holds another dataset: run with --fresh")
    data = build(url, rows)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE bench_meta (rows BIGINT)"))
            connection.execute(text("INSERT INTO bench_meta VALUES (:r)"), {"r": rows})
    finally:
        engine.dispose()
    return url, data


def drop_cached(backend: str, rows: int) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{BENCH_DIR / f'entries-{rows}.db'}{suffix}").unlink(missing_ok=True)
    else:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "campusgate_bench_r{rows}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    build(args.db, args.rows)


if __name__ == "__main__":
    main()
