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
Prints the figures and their ratios to the floors (targets: DESIGN section 7).

    .venv/bin/python -m bench.central [--passages 20000] [--rtt 2000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from bench.floor import echo_floor, sink_floor
from bench.pgtemp import temporary_postgres_database
from bench.stats import percentile
from gateway.client import DecisionClient
from schemas.ids import uuid7
from schemas.messages import Credential, Decision, Passage, Temperature
from schemas.topics import SiteChannel, site_topic
from services.bus.broker import LocalBroker
from services.bus.mqtt import MqttBus, parse_broker_url
from services.codes import SigningKey, issue_code, new_key
from services.demo.people import roster_csv, synthetic_people
from services.identity import IdHasher, load_id_hash_key
from services.roster import import_roster
from services.storage.engine import make_engine, upgrade
from services.storage.repository import count_entries, decisions_by_event

ROOT = Path(__file__).resolve().parent.parent
SITE = "bench"
GATES = ("north-1", "north-2", "south-1", "east-1")
PERSONS = 2000
STARTUP_TIMEOUT_S = 30
PERSON_IDS = [p.person_id for p in synthetic_people(PERSONS)]
# A fever opens an isolation case, after which the person is isolated at every
# gate; fevers are therefore drawn from people who never pass as regulars.
REGULARS = 1500


@dataclass(frozen=True)
class Planned:
    passage: Passage
    expected: str


def _passage(gate: str, code: str | None, celsius: str | None) -> Passage:
    now = datetime.now(UTC)
    return Passage(
        event_id=uuid7(),
        site=SITE,
        gate=gate,
        direction="in",
        ts=now,
        credentials=[Credential(kind="qr", data=code)]
        if code
        else [Credential(kind="card", data="x")],
        temperature=(
            Temperature(celsius=Decimal(celsius), sensor="ir-0", measured_at=now)
            if celsius
            else None
        ),
        mask=True,
    )


def plan_mix(key: SigningKey, count: int, rng: random.Random) -> list[Planned]:
    """The passages of the burst with the decision each must get."""
    now = datetime.now(UTC)
    planned: list[Planned] = []
    for index in range(count):
        gate = GATES[index % len(GATES)]
        roll = rng.random()
        person = PERSON_IDS[rng.randrange(REGULARS)]
        febrile = PERSON_IDS[rng.randrange(REGULARS, PERSONS)]
        code = issue_code(key, subject=person, typ="id", ttl=timedelta(hours=1), now=now)
        if roll < 0.05:
            fever_code = issue_code(key, subject=febrile, typ="id", ttl=timedelta(hours=1), now=now)
            celsius = f"{rng.uniform(37.3, 39.5):.2f}"
            planned.append(Planned(_passage(gate, fever_code, celsius), "isolate"))
        elif roll < 0.10:
            stranger = issue_code(
                key, subject=f"X{index}", typ="id", ttl=timedelta(hours=1), now=now
            )
            planned.append(Planned(_passage(gate, stranger, "36.50"), "deny"))
        elif roll < 0.15:
            planned.append(Planned(_passage(gate, code, None), "recheck"))
        elif roll < 0.20 and planned:
            planned.append(rng.choice(planned))  # a QoS 1 redelivery / gate retry
        else:
            planned.append(Planned(_passage(gate, code, f"{rng.uniform(35.8, 37.2):.2f}"), "admit"))
    return planned


class CentralProcess:
    """``campusgate central`` as its own process, like production."""

    def __init__(self, broker_url: str, db_url: str, keys: Path, log: Path) -> None:
        self.args = [
            str(ROOT / ".venv/bin/campusgate"),
            "central",
            "--broker",
            broker_url,
            "--db",
            db_url,
            "--site",
            SITE,
            "--keys",
            str(keys),
            "--no-upgrade",
        ]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, broker_url: str) -> None:
        ready = threading.Event()
        watcher = MqttBus(
            parse_broker_url(broker_url),
            client_id=f"bench-ready-{uuid.uuid4().hex[:6]}",
            on_message=lambda _m: ready.set(),
            subscriptions=((site_topic(SITE, SiteChannel.POLICY), 1),),
        )
        watcher.connect()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT)
        ok = ready.wait(STARTUP_TIMEOUT_S)
        watcher.close()
        if not ok:
            raise RuntimeError(f"central did not announce its policy; see {self.log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
            self.process = None


def measure_rtt(broker_url: str, key: SigningKey, count: int, warmup: int = 200) -> list[float]:
    client = DecisionClient(broker_url, site=SITE).connect()
    rtts: list[float] = []
    now = datetime.now(UTC)
    try:
        for index in range(warmup + count):
            code = issue_code(
                key, subject=PERSON_IDS[index % REGULARS], typ="id", ttl=timedelta(hours=1), now=now
            )
            passage = _passage(GATES[0], code, "36.60")
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


def measure_burst(
    broker_url: str, planned: list[Planned]
) -> tuple[float, dict[uuid.UUID, list[Decision]]]:
    answers: dict[uuid.UUID, list[Decision]] = {}
    expected_answers = len(planned)
    done = threading.Event()
    lock = threading.Lock()
    received = 0

    def on_decision(decision: Decision) -> None:
        nonlocal received
        with lock:
            answers.setdefault(decision.event_id, []).append(decision)
            received += 1
            if received >= expected_answers:
                done.set()

    client = DecisionClient(broker_url, site=SITE, on_decision=on_decision).connect()
    bodies = [(p.passage, p.passage.model_dump_json().encode()) for p in planned]
    try:
        start = time.perf_counter()
        for passage, body in bodies:
            client.bus.publish(f"campusgate/v1/{SITE}/gate/{passage.gate}/passage", body, qos=1)
        if not done.wait(300):
            raise RuntimeError(f"only {received}/{expected_answers} decisions arrived")
        seconds = time.perf_counter() - start
    finally:
        client.close()
    return seconds, answers


def verify(
    db_url: str, planned: list[Planned], answers: dict[uuid.UUID, list[Decision]]
) -> Counter[str]:
    expected = {p.passage.event_id: p.expected for p in planned}
    sent = Counter(p.passage.event_id for p in planned)
    engine = make_engine(db_url)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            rows = count_entries(session=session)
            stored = decisions_by_event(session=session)
    finally:
        engine.dispose()
    burst_rows = {e: stored[e] for e in expected if e in stored}
    problems = []
    if len(burst_rows) != len(expected):
        problems.append(f"{len(expected) - len(burst_rows)} event_ids not logged")
    for event_id, times in sent.items():
        got = answers.get(event_id, [])
        if len(got) != times:
            problems.append(f"{event_id}: sent {times}x, answered {len(got)}x")
        if {d.decision for d in got} != {expected[event_id]}:
            problems.append(
                f"{event_id}: expected {expected[event_id]}, got {[d.decision for d in got]}"
            )
        if len({d.model_dump_json() for d in got}) > 1:
            problems.append(f"{event_id}: duplicate answered differently")
    if problems:
        raise RuntimeError(f"verification failed ({len(problems)}): {problems[:5]}")
    print(
        f"    verified: {rows} rows in the entries table, {len(expected)} distinct event_ids "
        f"in the burst, every one answered as expected"
    )
    return Counter(expected.values())


def run_database(
    name: str, db_url: str, broker: LocalBroker, args: argparse.Namespace, workdir: Path
) -> dict[str, float]:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            csv_lines = roster_csv(synthetic_people(PERSONS)).splitlines()
            hasher = IdHasher(load_id_hash_key(allow_demo_key=True))
            import_roster(csv_lines, session=session, hasher=hasher)
    finally:
        engine.dispose()
    keys = workdir / f"keys-{name}"
    key = new_key(keys)
    rng = random.Random(7)
    planned = plan_mix(key, args.passages, rng)
    central = CentralProcess(broker.url, db_url, keys, workdir / f"central-{name}.log")
    central.start(broker.url)
    try:
        rtts = measure_rtt(broker.url, key, args.rtt)
        seconds, answers = measure_burst(broker.url, planned)
    finally:
        central.stop()
    mix = verify(db_url, planned, answers)
    rate = len(planned) / seconds
    duplicates = len(planned) - len({p.passage.event_id for p in planned})
    print(f"    mix: {dict(mix)}; duplicates: {duplicates}")
    return {"p50": percentile(rtts, 50), "p99": percentile(rtts, 99), "rate": rate}


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
        print(f"broker: private mosquitto at {broker.url} (set_tcp_nodelay, unlimited queue)")
        echo = echo_floor(broker.url, args.rtt)
        sink = sink_floor(broker.url, args.passages)
        floor = {"p50": percentile(echo, 50), "p99": percentile(echo, 99), "rate": sink}
        print(
            f"floor: QoS 1 echo p50 {floor['p50']:.3f} ms p99 {floor['p99']:.3f} ms; "
            f"QoS 1 one-way into one subscriber {sink:,.0f} msg/s"
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


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
