"""Scale-out: sustained passages per second with 1, 2 and 3 central workers, and a crash.

For each worker count N, against a fresh private Mosquitto and a fresh PostgreSQL
database: N ``campusgate central`` processes (worker ids 1..N, each with its own
persistent session, all on the one shared subscription), a burst of passages
(bench/workload.py: known people, fevers, unknown people, no temperature, 5 %
duplicates) published as fast as one client can, timed from the first publish
to the last decision; then the database is checked: every event_id answered as
planned and logged exactly once (rows == distinct event_ids).

The crash run: the largest N again, worker 2 SIGKILLed once half the burst is
published and started again under the same id after ``--restart-delay`` seconds
(what systemd's Restart= or Docker's restart policy do). Mosquitto keeps
routing that worker's share to its session while it is down, so the check is
that those passages are decided once it is back, and nothing is lost or doubled.

A fresh broker per run: sessions of a previous run's workers would still take
their share of the round robin (docs/scaling.md).

    nice -n 10 .venv/bin/python -m bench.scale [--passages 20000] [--workers 1,2,3]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.central_process import CentralProcess
from bench.floor import sink_floor
from bench.pgtemp import postgres_backends, temporary_postgres_database
from bench.stats import cpu_seconds
from bench.workload import SITE, measure_burst, plan_mix, prepare_database, verify
from kernel.codes import new_key
from services.broker_admin.local_broker import LocalBroker

STOPPED = re.compile(r"stopped after (\d+) passages")
CRASHED_WORKER = 1  # index: worker id "2"


@dataclass
class RunResult:
    workers: int
    passages: int
    seconds: float
    rows: int
    distinct: int
    per_worker: list[int]
    # CPU milliseconds per passage by component (from /proc), empty for the crash run.
    cpu_ms: dict[str, float]
    answered_again: int  # decisions sent twice: answered, then redelivered after the crash

    @property
    def rate(self) -> float:
        return self.passages / self.seconds


class CpuMeter:
    """CPU used by the workers, their PostgreSQL backends and the broker during the burst."""

    def __init__(self, centrals: list[CentralProcess], broker: LocalBroker, db_url: str) -> None:
        self.centrals, self.broker, self.db_url = centrals, broker, db_url
        self.start: dict[str, dict[int, float]] = {}

    def _pids(self) -> dict[str, list[int]]:
        assert self.broker.process is not None
        workers = [c.process.pid for c in self.centrals if c.process is not None]
        return {
            "central workers": workers,
            "PostgreSQL": postgres_backends(self.db_url),
            "Mosquitto": [self.broker.process.pid],
        }

    def begin(self) -> None:
        self.start = {k: {p: cpu_seconds(p) for p in v} for k, v in self._pids().items()}

    def end(self, passages: int) -> dict[str, float]:
        used: dict[str, float] = {}
        for component, pids in self._pids().items():
            before = self.start.get(component, {})
            seconds = sum(cpu_seconds(p) - before.get(p, 0.0) for p in pids)
            used[component] = seconds * 1000 / passages
        return used


def handled(log: Path) -> int:
    """Passages a worker reported at its last clean stop (its last life, after a crash)."""
    found = STOPPED.findall(log.read_text(encoding="utf-8", errors="replace"))
    return int(found[-1]) if found else 0


def run(workers: int, args: argparse.Namespace, workdir: Path, *, crash: bool) -> RunResult:
    tag = f"{workers}w{'-crash' if crash else ''}"
    with LocalBroker(workdir=workdir / f"broker-{tag}") as broker, \
            temporary_postgres_database() as db_url:  # fmt: skip
        prepare_database(db_url)
        keys = workdir / f"keys-{tag}"
        planned = plan_mix(new_key(keys), args.passages, random.Random(7))
        centrals = [
            CentralProcess(
                broker.url,
                db_url,
                keys,
                workdir / f"central-{tag}-{i + 1}.log",
                site=SITE,
                worker_id=str(i + 1),
            )
            for i in range(workers)
        ]
        restarter: threading.Thread | None = None

        def crash_one() -> None:
            nonlocal restarter
            victim = centrals[CRASHED_WORKER]
            victim.kill()

            def come_back() -> None:
                time.sleep(args.restart_delay)
                victim.start()

            restarter = threading.Thread(target=come_back, name="restart")
            restarter.start()

        meter = CpuMeter(centrals, broker, db_url)
        cpu_ms: dict[str, float] = {}
        try:
            for central in centrals:
                central.start()
            meter.begin()
            seconds, answers = measure_burst(
                broker.url, planned, midway=crash_one if crash else None
            )
            if not crash:  # a restarted worker's CPU would count from zero
                cpu_ms = meter.end(len(planned))
        finally:
            if restarter is not None:
                restarter.join()
            for central in centrals:
                central.stop()
        checked = verify(db_url, planned, answers, redelivered=crash)
        extra = sum(len(a) for a in answers.values()) - len(planned)
        if checked.rows != checked.distinct:
            raise RuntimeError(f"{checked.rows} rows for {checked.distinct} distinct event_ids")
        return RunResult(
            workers=workers,
            passages=len(planned),
            seconds=seconds,
            rows=checked.rows,
            distinct=checked.distinct,
            per_worker=[handled(c.log) for c in centrals],
            cpu_ms=cpu_ms,
            answered_again=extra,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=20000)
    parser.add_argument("--workers", default="1,2,3", help="worker counts to measure")
    parser.add_argument("--restart-delay", type=float, default=1.0, help="seconds down")
    parser.add_argument("--no-crash", action="store_true", help="skip the crash run")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"machine: {os.cpu_count()} cores; broker, workers, PostgreSQL and this client share them"
    )
    results: list[tuple[str, RunResult]] = []
    with tempfile.TemporaryDirectory(prefix="campusgate-scale-") as tmp:
        workdir = Path(tmp)
        with LocalBroker(workdir=workdir / "broker-floor") as broker:
            floor = sink_floor(broker.url, args.passages)
        print(f"floor: QoS 1 one-way into one Python subscriber {floor:,.0f} msg/s")
        for workers in counts:
            result = run(workers, args, workdir, crash=False)
            results.append((f"{workers} worker(s)", result))
            print(f"{workers} worker(s): {result.rate:,.0f} passages/s, "
                  f"split {result.per_worker}, {result.rows} rows = {result.distinct} "
                  "distinct event_ids, every one answered as planned", flush=True)  # fmt: skip
            cpu = ", ".join(f"{k} {v:.3f}" for k, v in result.cpu_ms.items())
            print(f"    CPU ms per passage: {cpu}; total {sum(result.cpu_ms.values()):.3f}")
        if not args.no_crash and max(counts) >= 2:
            workers = max(counts)
            result = run(workers, args, workdir, crash=True)
            results.append((f"{workers}, worker 2 SIGKILLed", result))
            print(f"{workers} workers, worker 2 SIGKILLed mid-burst and back after "
                  f"{args.restart_delay:g} s: {result.rate:,.0f} passages/s, "
                  f"{result.rows} rows = {result.distinct} distinct event_ids: nothing lost, "
                  f"nothing logged twice; {result.answered_again} decision(s) sent again for "
                  "passages redelivered after the crash", flush=True)  # fmt: skip
    print()
    columns = ("central workers", "passages", "seconds", "sustained", "vs 1 worker", "vs floor",
               "logged once")  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    base = results[0][1].rate
    for label, r in results:
        cells = (
            label,
            f"{r.passages:,}",
            f"{r.seconds:.2f}",
            f"{r.rate:,.0f}/s",
            f"{r.rate / base:.2f}x",
            f"{r.rate / floor:.2f}x",
            f"{r.rows:,} of {r.distinct:,}",
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
