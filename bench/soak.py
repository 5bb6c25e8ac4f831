"""Soak (issue 5): several gates at a steady rate while faults are injected on a schedule.

Everything runs on this machine: a private persistent Mosquitto, the real
``campusgate central`` (with its snapshot publisher) on SQLite or PostgreSQL,
and N simulated gate lanes (:mod:`tests.fixtures.simulated_gate`: the real agent loop,
outbox, snapshot store, local decider and MQTT uplink) connected through a
local TCP proxy.  Faults, in turn, every ``--fault-every`` seconds:

* the broker SIGKILLed and restarted after ``--outage`` seconds;
* the central worker SIGKILLed and restarted after ``--outage`` seconds;
* the gates' network stalled (packets black-holed) for 2 x ``--outage`` seconds,
  then the dead connections cut.

At the end the faults stop, every gate drains its outbox, and every event_id
the gates produced is looked up in the database.  Printed: passages produced,
logged, lost (must be 0), duplicated (must be 0), wrong decisions (must be 0),
the longest outage ridden out, the outbox high-water mark, and the resident
memory of each process at start and end.

    .venv/bin/python -m bench.soak --minutes 30 [--gates 4] [--rate 2] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.central_process import CentralProcess
from bench.gate import _proc_rss_mb, prepare_campus
from bench.pgtemp import temporary_postgres_database
from bench.workload import PERSON_IDS, REGULARS, SITE
from kernel.codes import SigningKey, issue_code
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.proxy import FaultyProxy
from tests.fixtures.simulated_gate import Lane, audit, make_lane

FEVER_SHARE = 0.02
STRANGER_SHARE = 0.03
DRAIN_TIMEOUT_S = 600.0
WARMUP_S = 60.0


class People:
    """Who walks up next, with the decision the central side must log for them."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.rng = random.Random(11)
        self.lock = threading.Lock()
        # A fever opens a case, after which that person is isolated everywhere:
        # febrile people are drawn once each from those who never pass as regulars.
        self.febrile = iter(PERSON_IDS[REGULARS:])
        self.strangers = itertools.count()
        issued = datetime.now(UTC) - timedelta(days=1)
        self.cards = [
            issue_code(key, subject=p, typ="id", ttl=timedelta(days=30), now=issued, site=SITE)
            for p in PERSON_IDS[:REGULARS]
        ]

    def next(self) -> tuple[str, str, str]:
        with self.lock:
            roll = self.rng.random()
            now = datetime.now(UTC)
            if roll < FEVER_SHARE:
                subject = next(self.febrile, None)
                if subject is not None:
                    code = issue_code(
                        self.key,
                        subject=subject,
                        typ="id",
                        ttl=timedelta(days=1),
                        now=now,
                        site=SITE,
                    )
                    return code, f"{self.rng.uniform(37.3, 39.5):.2f}", "isolate"
            if roll < FEVER_SHARE + STRANGER_SHARE:
                code = issue_code(
                    self.key, subject=f"stranger-{next(self.strangers)}", typ="id",
                    ttl=timedelta(days=1), now=now, site=SITE,
                )  # fmt: skip
                return code, "36.60", "deny"
            return self.rng.choice(self.cards), f"{self.rng.uniform(35.9, 37.2):.2f}", "admit"


def walk(lane: Lane, people: People, rate: float, stop: threading.Event) -> None:
    interval = 1 / rate
    next_at = time.monotonic()
    while not stop.is_set():
        code, celsius, expect = people.next()
        lane.person(code, celsius=celsius, expect=expect)
        next_at += interval
        stop.wait(max(next_at - time.monotonic(), 0))


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir}/soak.db"
    else:
        with temporary_postgres_database() as url:
            yield url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--rate", type=float, default=2.0, help="passages per gate per second")
    parser.add_argument("--fault-every", type=float, default=60.0)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="campusgate-soak-") as tmp:
        workdir = Path(tmp)
        broker = LocalBroker(workdir=workdir / "broker", persistent=True).start()
        proxy = FaultyProxy(broker.port)
        with database(args.db, workdir) as url:
            db_url, keys, key = prepare_campus(workdir, url)
            central = CentralProcess(broker.url, db_url, keys, workdir / "central.log", site=SITE)
            central.start()
            lanes = [
                make_lane(
                    proxy.url,
                    site=SITE,
                    gate=f"soak-{index + 1}",
                    workdir=workdir,
                    decision_timeout_s=2.0,
                    resend_s=10.0,
                )
                for index in range(args.gates)
            ]
            for lane in lanes:
                lane.agent.start()
            for lane in lanes:
                lane.wait_snapshot(60)
            people = People(key)
            stop = threading.Event()
            walkers = [
                threading.Thread(target=walk, args=(lane, people, args.rate, stop), daemon=True)
                for lane in lanes
            ]
            print(
                f"soak: {args.gates} gates x {args.rate}/s for {args.minutes} min on {args.db}, "
                f"a fault every {args.fault_every:.0f} s ({args.outage:.0f} s outages)",
                flush=True,
            )
            for walker in walkers:
                walker.start()
            # Memory is compared from the end of a warm-up minute: caches, lazily built
            # validators and connection buffers fill once, and that is not growth.
            time.sleep(min(WARMUP_S, args.minutes * 30))
            memory_start = {
                "broker": _proc_rss_mb(broker.process.pid),  # type: ignore[union-attr]
                "central": _proc_rss_mb(central.process.pid),  # type: ignore[union-attr]
                "gates (this process)": _proc_rss_mb(os.getpid()),
            }
            outages: list[tuple[str, float]] = []
            faults = itertools.cycle(["broker", "central", "network"])
            end = time.monotonic() + args.minutes * 60
            try:
                while time.monotonic() + args.fault_every < end:
                    time.sleep(args.fault_every)
                    fault = next(faults)
                    began = time.monotonic()
                    if fault == "broker":
                        broker.stop(signal.SIGKILL)
                        time.sleep(args.outage)
                        broker.start()
                    elif fault == "central":
                        central.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
                        central.process.wait(10)  # type: ignore[union-attr]
                        time.sleep(args.outage)
                        central.start()
                    else:
                        proxy.stall()
                        time.sleep(2 * args.outage)
                        proxy.cut()
                        proxy.release()
                    outages.append((fault, time.monotonic() - began))
                    kept = sum(lane.uplink.backlog() for lane in lanes)
                    produced = sum(len(lane.produced) for lane in lanes)
                    print(
                        f"  {fault} outage {outages[-1][1]:.1f} s ridden out; "
                        f"{produced} produced, {kept} kept in outboxes",
                        flush=True,
                    )
                time.sleep(max(end - time.monotonic(), 0))
            finally:
                stop.set()
                for walker in walkers:
                    walker.join(30)
            drained_from = time.monotonic()
            for lane in lanes:
                lane.wait_drained(DRAIN_TIMEOUT_S)
            drain_s = time.monotonic() - drained_from
            memory_end = {
                "broker": _proc_rss_mb(broker.process.pid),  # type: ignore[union-attr]
                "central": _proc_rss_mb(central.process.pid),  # type: ignore[union-attr]
                "gates (this process)": _proc_rss_mb(os.getpid()),
            }
            result = audit(db_url, lanes)
            high_water = max(lane.uplink.outbox.high_water for lane in lanes)
            local = sum(lane.agent.stats.local_decisions for lane in lanes)
            for lane in lanes:
                lane.agent.stop()
            central.stop()
        proxy.close()
        broker.close()

    longest = max(outages, key=lambda o: o[1]) if outages else ("none", 0.0)
    print()
    print(f"passages produced:   {result.produced}")
    print(f"logged:              {result.produced - result.lost}")
    print(f"lost:                {result.lost}")
    print(f"duplicated:          {result.duplicated}")
    print(f"wrong decisions:     {result.wrong}")
    print(f"decided at the gate: {local} (while the central side could not answer)")
    print(f"faults:              {len(outages)}; longest outage {longest[1]:.1f} s ({longest[0]})")
    print(f"outbox high-water:   {high_water} passages; drained in {drain_s:.1f} s after the end")
    for name, start in memory_start.items():
        print(f"memory {name}: {start:.1f} MB after warm-up, {memory_end[name]:.1f} MB at end")
    print("  (broker and central at the end are the processes restarted last; this process")
    print("   also keeps every produced event_id and its expected decision for the audit)")
    for example in result.examples:
        print(f"  ! {example}")
    if result.lost or result.duplicated or result.wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
