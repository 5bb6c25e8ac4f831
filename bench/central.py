"""Central service benchmark: passage->decision round trip and sustained rate.

In one run, against a private Mosquitto started from the project's config:
  1. the floors: QoS 1 request/echo round trip, and QoS 1 one-way into one
     Python subscriber (bench/floor.py);
  2. for SQLite and PostgreSQL: the real ``campusgate central`` process, with
     (a) sequential passages, each waiting for its decision (RTT p50/p99), and
     (b) a burst of passages (known people, fevers, unknown people, missing
     temperatures, duplicates) published as fast as the client can, timed until
     the last decision arrived; then the database is checked: every event_id
     answered, one row per distinct event_id, every decision as expected.
Prints the figures and their ratios to the floors (targets: DESIGN section 7),
and, for orientation, the durable floor of the round trip (bench/durable.py): the
echo floor plus one durable one-row commit plus one signature check, measured
in the same run, below which no service that answers after its commit can go.

    .venv/bin/python -m bench.central [--passages 20000] [--rtt 2000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.central_process import CentralProcess
from bench.durable import postgres_commit_ms, signature_check_ms, sqlite_commit_ms
from bench.floor import echo_floor, sink_floor
from bench.pgtemp import postgres_backends, temporary_postgres_database
from bench.stats import cpu_seconds, percentile
from bench.workload import (
    GATES,
    PERSON_IDS,
    REGULARS,
    SITE,
    make_passage,
    measure_burst,
    plan_mix,
    prepare_database,
    verify,
)
from kernel.codes import SigningKey, issue_code, new_key
from kernel.redact import redact_url
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.gate_client import DecisionClient


def measure_rtt(broker_url: str, key: SigningKey, count: int, warmup: int = 200) -> list[float]:
    client = DecisionClient(broker_url, site=SITE).connect()
    rtts: list[float] = []
    now = datetime.now(UTC)
    try:
        for index in range(warmup + count):
            code = issue_code(
                key,
                subject=PERSON_IDS[index % REGULARS],
                typ="id",
                ttl=timedelta(hours=1),
                now=now,
                site=SITE,
            )
            passage = make_passage(GATES[0], code, "36.60")
            start = time.perf_counter()
            decision = client.request(passage, timeout=10)
            elapsed = (time.perf_counter() - start) * 1000
            if decision is None or decision.decision != "admit":
                raise RuntimeError(f"RTT passage {index} got {decision}")
            if index >= warmup:
                rtts.append(elapsed)
    finally:
        client.close()
    return rtts


def run_database(
    name: str, db_url: str, broker: LocalBroker, args: argparse.Namespace, workdir: Path
) -> dict[str, float]:
    commit_ms = (
        sqlite_commit_ms(workdir / "durable-floor.db")
        if name == "sqlite"
        else postgres_commit_ms(db_url)
    )
    prepare_database(db_url)
    keys = workdir / f"keys-{name}"
    key = new_key(keys)
    rng = random.Random(7)
    planned = plan_mix(key, args.passages, rng)
    central = CentralProcess(broker.url, db_url, keys, workdir / f"central-{name}.log", site=SITE)
    central.start()
    try:
        rtts = measure_rtt(broker.url, key, args.rtt)
        assert central.process is not None
        assert broker.process is not None
        pids = {
            "central": [central.process.pid],
            "Mosquitto": [broker.process.pid],
            "this client": [os.getpid()],
            "PostgreSQL": postgres_backends(db_url) if name == "postgres" else [],
        }
        before = {p: cpu_seconds(p) for group in pids.values() for p in group}
        seconds, answers = measure_burst(broker.url, planned)
        used = {
            group: sum(cpu_seconds(p) - before[p] for p in members)
            for group, members in pids.items()
            if members
        }
    finally:
        central.stop()
    checked = verify(db_url, planned, answers)
    print(
        f"    verified: {checked.rows} rows in the entries table, {checked.distinct} distinct "
        "event_ids in the burst, every one answered as expected"
    )
    rate = len(planned) / seconds
    duplicates = len(planned) - checked.distinct
    print(f"    mix: {dict(checked.mix)}; duplicates: {duplicates}")
    # Where the cores went during the burst: the central competes with the
    # broker and with this client (which publishes and reads every decision).
    split = ", ".join(f"{group} {cpu / seconds:.2f}" for group, cpu in used.items())
    print(
        f"    burst {seconds:.2f} s; CPU in cores: {split}; "
        f"of {os.cpu_count()} cores; central {used['central'] * 1e6 / len(planned):.0f} us/passage"
    )
    return {
        "p50": percentile(rtts, 50),
        "p99": percentile(rtts, 99),
        "rate": rate,
        "commit": commit_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=20000)
    parser.add_argument("--rtt", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="campusgate-bench-") as tmp, LocalBroker() as broker:
        workdir = Path(tmp)
        shown = redact_url(broker.url)
        print(f"broker: private mosquitto at {shown} (set_tcp_nodelay, unlimited queue)")
        echo = echo_floor(broker.url, args.rtt)
        sink = sink_floor(broker.url, args.passages)
        floor = {"p50": percentile(echo, 50), "p99": percentile(echo, 99), "rate": sink}
        check_ms = signature_check_ms()
        print(
            f"floor: QoS 1 echo p50 {floor['p50']:.3f} ms p99 {floor['p99']:.3f} ms; "
            f"QoS 1 one-way into one subscriber {sink:,.0f} msg/s; "
            f"one Ed25519 signature check p50 {check_ms:.3f} ms"
        )
        for name in args.db.split(","):
            print(f"{name}:")
            if name == "sqlite":
                results[name] = run_database(
                    name, f"sqlite:///{workdir}/bench.db", broker, args, workdir
                )
            else:
                with temporary_postgres_database() as url:
                    results[name] = run_database(name, url, broker, args, workdir)
    print()
    print(
        "| database | RTT p50 | RTT p99 | sustained | vs floor (p50 / p99 / rate) "
        "| targets (<=1.5x / <=3x / >=0.6x) |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        ratios = (r["p50"] / floor["p50"], r["p99"] / floor["p99"], r["rate"] / floor["rate"])
        met = (
            "met" if ratios[0] <= 1.5 else "MISSED",
            "met" if ratios[1] <= 3 else "MISSED",
            "met" if ratios[2] >= 0.6 else "MISSED",
        )
        print(
            f"| {name} | {r['p50']:.3f} ms | {r['p99']:.3f} ms | {r['rate']:,.0f}/s | "
            f"{ratios[0]:.2f}x / {ratios[1]:.2f}x / {ratios[2]:.2f}x | {' / '.join(met)} |"
        )
    print(
        f"| floor | {floor['p50']:.3f} ms | {floor['p99']:.3f} ms | {floor['rate']:,.0f}/s | "
        "echo / echo / one-way | |"
    )
    print()
    print(
        "| database | durable floor p50 = echo + 1-row durable commit + signature check "
        "| RTT p50 vs it |"
    )
    print("|---|---|---|")
    for name, r in results.items():
        durable = floor["p50"] + r["commit"] + check_ms
        print(
            f"| {name} | {durable:.3f} ms = {floor['p50']:.3f} + {r['commit']:.3f} + "
            f"{check_ms:.3f} ({durable / floor['p50']:.2f}x the echo floor) | "
            f"{r['p50'] / durable:.2f}x |"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
