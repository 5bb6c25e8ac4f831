"""Entry history of one person over 30 days, and contact tracing over 14 days, on a big log.

For SQLite and PostgreSQL, on a ``--rows`` entry log (bench/dataset.py, kept
in var/bench/ and a named PostgreSQL database between runs):

* floor: the bare indexed SQL of the same question through the driver
  (sqlite3 / psycopg), the same columns, every row fetched;
* figure: ``services.audit.queries.person_history`` as the CLI and pages call
  it (SQLAlchemy, names looked up, rows as models, the query logged in the
  audit log), its transaction rolled back; and the same with the audit-log
  commit, which is what an auditor waits for;
* contact trace (``trace_contacts``, 14 days, 30-minute window), p50/p99.

Targets (DESIGN section 7): history p99 <= 5 ms on SQLite, <= 10 ms on PostgreSQL.

    nice -n 10 .venv/bin/python -m bench.history --rows 10000000 [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.dataset import PERSONS, cached, drop_cached, person_id
from bench.stats import percentile
from services.audit.queries import HISTORY_COLUMNS, person_history
from services.audit.trace import trace_contacts
from services.storage.engine import make_engine

TARGET_P99_MS = {"sqlite": 5.0, "postgres": 10.0}
SQL = (
    f"SELECT {', '.join(HISTORY_COLUMNS)} FROM entries "
    "WHERE person_id = {p} AND ts >= {p} AND ts < {p} ORDER BY ts"
)


def _timed(run: Callable[[], object], count: int) -> list[float]:
    times: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _sqlite_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def floor_runner(
    url: str, backend: str
) -> tuple[Callable[[str, datetime, datetime], int], Callable[[], None]]:
    """(query, close): the bare SQL through the driver, every row fetched."""
    if backend == "sqlite":
        path = make_url(url).database
        assert path
        conn = sqlite3.connect(path)
        sql = SQL.format(p="?")

        def query(person: str, since: datetime, until: datetime) -> int:
            return len(
                conn.execute(sql, (person, _sqlite_text(since), _sqlite_text(until))).fetchall()
            )

        return query, conn.close
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg = psycopg.connect(dsn, autocommit=True)
    sql_pg = SQL.format(p="%s")

    def query_pg(person: str, since: datetime, until: datetime) -> int:
        return len(pg.execute(sql_pg, (person, since, until), prepare=True).fetchall())  # type: ignore[call-overload]

    return query_pg, pg.close


def run(backend: str, rows: int, samples: int, *, fresh: bool) -> dict[str, float]:
    url, data = cached(backend, rows, fresh=fresh)
    until = data.day_start(data.last_day) + timedelta(days=1)
    since = until - timedelta(days=30)
    rng = random.Random(7)
    people = [person_id(rng.randrange(PERSONS)) for _ in range(samples)]
    floor, close = floor_runner(url, backend)
    engine = make_engine(url)
    found: list[int] = []
    floor_ms: list[float] = []
    figure_ms: list[float] = []
    cold_ms: list[float] = []
    try:
        session = Session(engine)

        def figure(person: str) -> None:
            person_history(
                session=session,
                person_id=person,
                since=since,
                until=until,
                actor="bench",
                role="auditor",
                now=until,
            )
            session.rollback()

        # The first look at each person reads their pages from disk: reported apart.
        for person in people:
            cold_ms.extend(_timed(lambda p=person: floor(p, since, until), 1))
        for person in people:
            figure(person)
        # Warm: floor and figure interleaved person by person, so both see the same cache.
        for person in people:
            start = time.perf_counter()
            found.append(floor(person, since, until))
            floor_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            figure(person)
            figure_ms.append((time.perf_counter() - start) * 1000)

        def logged(person: str) -> None:
            person_history(
                session=session,
                person_id=person,
                since=since,
                until=until,
                actor="bench",
                role="auditor",
                now=until,
            )
            session.commit()

        i = iter(people[:200])
        logged_ms = _timed(lambda: logged(next(i)), min(200, samples))

        traced: list[int] = []

        def trace(person: str) -> None:
            report = trace_contacts(
                session=session,
                person_id=person,
                window=timedelta(minutes=30),
                actor="bench",
                role="auditor",
                now=until,
            )
            traced.append(len(report.contacts))
            session.rollback()

        i = iter(people[:20])
        trace_ms = _timed(lambda: trace(next(i)), min(20, samples))
        session.close()
    finally:
        close()
        engine.dispose()
    return {
        "rows_per_history": sum(found) / len(found),
        "cold_p50": percentile(cold_ms, 50),
        "cold_p99": percentile(cold_ms, 99),
        "floor_p50": percentile(floor_ms, 50),
        "floor_p99": percentile(floor_ms, 99),
        "p50": percentile(figure_ms, 50),
        "p99": percentile(figure_ms, 99),
        "logged_p50": percentile(logged_ms, 50),
        "logged_p99": percentile(logged_ms, 99),
        "trace_p50": percentile(trace_ms, 50),
        "trace_p99": percentile(trace_ms, 99),
        "contacts": sum(traced) / len(traced),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--fresh", action="store_true", help="rebuild the dataset")
    parser.add_argument("--drop", action="store_true", help="delete the dataset afterwards")
    args = parser.parse_args()
    print(f"entry history: {args.rows:,} entries, {args.samples} people, 30 days each")
    results = {}
    for backend in args.db.split(","):
        results[backend] = run(backend, args.rows, args.samples, fresh=args.fresh)
        if args.drop:
            drop_cached(backend, args.rows)
    print()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"(load average after the run: {' '.join(load)} on {os.cpu_count()} cores)")
    print(
        "| database | rows/history | floor p50 / p99 | history p50 / p99 | ratio p99 | "
        "target p99 | first look (cold) floor p50 / p99 | with logged commit p50 / p99 | "
        "trace 14 d p50 / p99 (contacts) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for backend, r in results.items():
        target = TARGET_P99_MS[backend]
        verdict = "met" if r["p99"] <= target else "missed"
        print(
            f"| {backend} | {r['rows_per_history']:.0f} | {r['floor_p50']:.2f} / "
            f"{r['floor_p99']:.2f} ms | {r['p50']:.2f} / {r['p99']:.2f} ms | "
            f"{r['p99'] / r['floor_p99']:.2f}x | <= {target:g} ms: {verdict} | "
            f"{r['cold_p50']:.2f} / {r['cold_p99']:.2f} ms | "
            f"{r['logged_p50']:.2f} / {r['logged_p99']:.2f} ms | {r['trace_p50']:.0f} / "
            f"{r['trace_p99']:.0f} ms ({r['contacts']:.0f}) |"
        )


if __name__ == "__main__":
    main()
