"""The passage workload shared by the benchmarks: roster, planned mix, burst, verification.

A burst mixes known people, fevers, unknown people, missing temperatures and
duplicates (QoS 1 redeliveries), each with the decision it must get; after the
run the database is checked: every event_id answered as planned and logged
exactly once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from kernel.codes import SigningKey, issue_code
from schemas.ids import uuid7
from schemas.messages import Credential, Decision, Passage, Temperature
from schemas.topics import GateChannel, gate_filter, gate_topic
from services.demo.people import roster_csv, synthetic_people
from services.identity import IdHasher, load_id_hash_key
from services.roster import import_roster
from services.storage.engine import make_engine, upgrade
from services.storage.repository import count_entries, decisions_by_event

SITE = "bench"
GATES = ("north-1", "north-2", "south-1", "east-1")
PERSONS = 2000
PERSON_IDS = [p.person_id for p in synthetic_people(PERSONS)]
# A fever opens an isolation case, after which the person is isolated at every
# gate; fevers are therefore drawn from people who never pass as regulars.
REGULARS = 1500
BURST_TIMEOUT_S = 300
# The burst client reads decisions after every this many publishes.
READ_EVERY = 32


@dataclass(frozen=True)
class Planned:
    passage: Passage
    expected: str


def make_passage(gate: str, code: str | None, celsius: str | None) -> Passage:
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


def prepare_database(db_url: str) -> None:
    """Migrate ``db_url`` and import the synthetic roster of :data:`PERSONS` people."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            csv_lines = roster_csv(synthetic_people(PERSONS)).splitlines()
            hasher = IdHasher(load_id_hash_key(allow_demo_key=True))
            import_roster(csv_lines, session=session, hasher=hasher)
    finally:
        engine.dispose()


def plan_mix(key: SigningKey, count: int, rng: random.Random) -> list[Planned]:
    """The passages of the burst with the decision each must get."""
    now = datetime.now(UTC)
    planned: list[Planned] = []
    for index in range(count):
        gate = GATES[index % len(GATES)]
        roll = rng.random()
        person = PERSON_IDS[rng.randrange(REGULARS)]
        febrile = PERSON_IDS[rng.randrange(REGULARS, PERSONS)]
        code = issue_code(key, subject=person, typ="id", ttl=timedelta(hours=1), now=now, site=SITE)
        if roll < 0.05:
            fever_code = issue_code(
                key, subject=febrile, typ="id", ttl=timedelta(hours=1), now=now, site=SITE
            )
            celsius = f"{rng.uniform(37.3, 39.5):.2f}"
            planned.append(Planned(make_passage(gate, fever_code, celsius), "isolate"))
        elif roll < 0.10:
            stranger = issue_code(
                key, subject=f"X{index}", typ="id", ttl=timedelta(hours=1), now=now, site=SITE
            )
            planned.append(Planned(make_passage(gate, stranger, "36.50"), "deny"))
        elif roll < 0.15:
            planned.append(Planned(make_passage(gate, code, None), "recheck"))
        elif roll < 0.20 and planned:
            planned.append(rng.choice(planned))  # a QoS 1 redelivery / gate retry
        else:
            celsius = f"{rng.uniform(35.8, 37.2):.2f}"
            planned.append(Planned(make_passage(gate, code, celsius), "admit"))
    return planned


def measure_burst(
    broker_url: str,
    planned: list[Planned],
    *,
    midway: Callable[[], None] | None = None,
) -> tuple[float, dict[uuid.UUID, list[Decision]]]:
    """Publish ``planned`` as fast as possible; seconds until the last decision arrived.

    One thread drives the client's connection (no network thread), reading the
    decisions between publishes, so the client is not what limits the rate.
    ``midway`` runs once half the burst is published (a fault to inject mid-run).
    """
    answers: dict[uuid.UUID, list[Decision]] = {}
    # Done when every event_id has had as many answers as it was sent; a worker that
    # crashed after publishing a decision but before its ack answers that one again.
    needed = Counter(p.passage.event_id for p in planned)
    satisfied = 0

    def on_decision(message: InboundMessage) -> None:
        nonlocal satisfied
        decision = Decision.model_validate_json(message.payload)
        got = answers.setdefault(decision.event_id, [])
        got.append(decision)
        if len(got) == needed.get(decision.event_id, -1):
            satisfied += 1

    bus = MqttBus(
        parse_broker_url(broker_url),
        client_id=f"bench-burst-{uuid.uuid4().hex[:8]}",
        on_message=on_decision,
        subscriptions=((gate_filter(SITE, GateChannel.DECISION), 1),),
    )
    bus.connect(network_thread=False)
    bodies = [(p.passage, p.passage.model_dump_json().encode()) for p in planned]
    half = len(bodies) // 2
    try:
        start = time.perf_counter()
        for index, (passage, body) in enumerate(bodies):
            bus.publish(gate_topic(SITE, passage.gate, GateChannel.PASSAGE), body, qos=1)
            if index % READ_EVERY == 0:
                bus.poll(0)
            if index == half and midway is not None:
                midway()
        give_up = time.monotonic() + BURST_TIMEOUT_S
        while satisfied < len(needed):
            if time.monotonic() > give_up:
                raise RuntimeError(f"only {satisfied}/{len(needed)} event_ids were answered")
            bus.poll(0.05)
        seconds = time.perf_counter() - start
    finally:
        bus.close()
    return seconds, answers


@dataclass(frozen=True)
class Verified:
    rows: int  # rows in the entries table
    distinct: int  # distinct event_ids in the burst
    mix: Counter[str]


def verify(
    db_url: str,
    planned: list[Planned],
    answers: dict[uuid.UUID, list[Decision]],
    *,
    redelivered: bool = False,
) -> Verified:
    """Every event_id logged and answered as planned, duplicates answered alike; else raise.

    ``redelivered``: a worker crashed, so a passage it answered but had not yet
    acknowledged is delivered and answered again (identically); more answers than
    sends are then expected, fewer never.
    """
    expected = {p.passage.event_id: p.expected for p in planned}
    sent = Counter(p.passage.event_id for p in planned)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = count_entries(session=session)
            stored = decisions_by_event(session=session)
    finally:
        engine.dispose()
    problems = [f"{e}: not logged" for e in expected if e not in stored]
    problems += [
        f"{e}: logged {stored[e]}, expected {want}"
        for e, want in expected.items()
        if e in stored and stored[e] != want
    ]
    for event_id, times in sent.items():
        got = answers.get(event_id, [])
        if len(got) < times or (len(got) > times and not redelivered):
            problems.append(f"{event_id}: sent {times}x, answered {len(got)}x")
        if {d.decision for d in got} != {expected[event_id]}:
            problems.append(
                f"{event_id}: expected {expected[event_id]}, got {[d.decision for d in got]}"
            )
        if len({d.model_dump_json() for d in got}) > 1:
            problems.append(f"{event_id}: duplicate answered differently")
    if problems:
        raise RuntimeError(f"verification failed ({len(problems)}): {problems[:5]}")
    return Verified(rows=rows, distinct=len(expected), mix=Counter(expected.values()))
