"""``campusgate demo``: the whole system on one machine, every gate device simulated.

Starts a private Mosquitto on a free local port (unless ``--broker`` is given),
a SQLite database with a synthetic roster (students, staff, family-area
households), visitors whose appointments the host unit approved, signing keys,
the central worker with its snapshot publisher, the web service (kiosk,
dashboard, clinic) with demo logins, and four gate agents, each with a pty
thermometer, a simulated camera and a pty relay board.  People walk up (see
:mod:`services.demo.flow`), one gate is locked down for a while, and every
decision is printed live.  ``--headless --duration S`` runs unattended and ends
with a summary whose ``lost`` and ``unexpected`` counts must be 0.
"""

from __future__ import annotations

import contextlib
import queue
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import uvicorn
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from kernel.codes import SigningKey, issue_code, new_key
from kernel.redact import redact_url
from schemas.messages import Command, Decision, Direction, FeverAlert
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.appointments.service import (
    AppointmentRequest,
    add_approver,
    approve,
    request_appointment,
)
from services.broker_admin.local_broker import LocalBroker, free_port
from services.central.app import build_snapshot_publisher, build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.demo.flow import Flow, Walk
from services.demo.lanes import PAIRING_WINDOW_S, DemoLane, start_lane
from services.demo.people import Person, cn_id_number, roster_csv, synthetic_people
from services.identity import IdHasher, load_id_hash_key
from services.roster import import_roster
from services.storage.engine import make_engine, upgrade
from services.storage.models import EntryRow, IsolationCaseRow
from services.storage.repository import set_gate_locked
from services.web.app import create_app
from services.web.demo import DEMO_PASSWORD, add_demo_users
from services.web.serve import server_config
from services.web.settings import WebServerSettings, WebSettings

SITE = "main"
GATES: tuple[tuple[str, Direction], ...] = (
    ("north-1", "in"),
    ("north-2", "in"),
    ("south-1", "in"),
    ("east-1", "out"),  # the family area's exit lane: household quotas apply here
)
PEOPLE = 300
VISITORS = 5
HOST_UNIT = "CS"
DECISION_WAIT_S = 8.0
LOCKED_GATE = "south-1"
LOCKDOWN_S = 6.0
COLOURS = {"admit": "\033[32m", "recheck": "\033[33m", "deny": "\033[31m", "isolate": "\033[1;41m"}
RESET = "\033[0m"


@dataclass
class Summary:
    sent: int = 0
    answered: int = 0
    unexpected: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    cases: int = 0
    rows: int = 0
    lost: int = 0
    pulses: int = 0

    def render(self) -> str:
        outcome_text = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"passages {self.sent}, decisions {self.answered} ({outcome_text}), "
            f"turnstile pulses {self.pulses}, fever alerts {self.alerts}, cases {self.cases}, "
            f"entries logged {self.rows}, unexpected {self.unexpected}, lost {self.lost}"
        )


def _line(gate: str, walk: Walk, expected: str, decision: Decision | None, colour: bool) -> str:
    clock = datetime.now().strftime("%H:%M:%S")  # a person reads it: local time
    if decision is None:
        return f"{clock}  {gate:<8} NO ANSWER  {walk.who}  [{walk.scenario}]"
    outcome = decision.decision.upper()
    if colour:
        outcome = f"{COLOURS[decision.decision]}{outcome:<8}{RESET}"
    celsius = f"{decision.celsius} C" if decision.celsius is not None else "no temp"
    person = decision.person
    shown = f"{person.name} ({person.kind}, {person.masked_id})" if person else walk.who
    note = "" if decision.decision == expected else f"  !! expected {expected}"
    return (
        f"{clock}  {gate:<8} {outcome:<8} {shown:<46} {celsius:<9} "
        f"{','.join(decision.reasons) or '-'}  [{walk.scenario}]{note}"
    )


def _campus(
    db_url: str, base: Path, people: list[Person]
) -> tuple[SigningKey, list[tuple[str, str, str]], int]:
    """Roster, keys, approved visitors (appointment, name, code), demo users."""
    upgrade(db_url)
    engine = make_engine(db_url)
    hasher = IdHasher(load_id_hash_key(allow_demo_key=True))
    key = new_key(base / "keys")
    now = datetime.now(UTC)
    visitors: list[tuple[str, str, str]] = []
    rng = random.Random(7)
    try:
        with Session(engine) as session, session.begin():
            report = import_roster(roster_csv(people).splitlines(), session=session, hasher=hasher)
            add_approver(session=session, unit=HOST_UNIT, approver="admin", by="demo", now=now)
            for index in range(VISITORS):
                name = f"Visitor {index + 1}"
                requested = request_appointment(
                    session=session,
                    request=AppointmentRequest(
                        site=SITE,
                        visitor_name=name,
                        phone="13800000000",
                        id_number=SecretStr(cn_id_number(rng, date(1980 + index, 5, 17))),
                        host_unit=HOST_UNIT,
                        purpose="meeting",
                        gates=["*"],
                        valid_from=now - timedelta(minutes=5),
                        valid_until=now + timedelta(hours=4),
                    ),
                    hasher=hasher,
                    by="demo",
                    now=now,
                )
                approval = approve(
                    session=session,
                    appointment_id=requested.appointment_id,
                    by="admin",
                    now=now,
                    key=key,
                )
                visitors.append((requested.appointment_id, name, approval.code))
            add_demo_users(session=session, gates=[g for g, _ in GATES], now=now)
    finally:
        engine.dispose()
    return key, visitors, report.inserted


@contextlib.contextmanager
def _web(broker_url: str, db_url: str, keys_dir: Path) -> Iterator[str]:
    port = free_port()
    settings = WebSettings(
        site=SITE,
        mqtt=MqttSettings(url=broker_url),
        db=DbSettings(url=db_url),
        web=WebServerSettings(port=port, demo=True, gates=[g for g, _ in GATES], keys_dir=keys_dir),
    )
    server = uvicorn.Server(
        server_config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="demo-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _lockdown(bus: MqttBus, db_url: str, *, locked: bool) -> None:
    """What the security office's dashboard does: the database flag and the gate's command."""
    now = datetime.now(UTC)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            set_gate_locked(
                session=session, site=SITE, gate=LOCKED_GATE, locked=locked, by="demo", at=now
            )
    finally:
        engine.dispose()
    command = Command(
        command_id=uuid.uuid4(),
        site=SITE,
        gate=LOCKED_GATE,
        command="lockdown" if locked else "release",
        issued_by="demo officer",
        reason="demo: gate sealed for a drill" if locked else "drill over",
        ts=now,
    )
    bus.publish(
        gate_topic(SITE, LOCKED_GATE, GateChannel.COMMAND), command.model_dump_json().encode()
    )


def _start_central(stack: contextlib.ExitStack, broker_url: str, db_url: str, keys: Path) -> None:
    """The decision worker and the snapshot publisher, stopped when ``stack`` closes."""
    # The roster's own ID hash key, so a number typed or read at a demo lane is found.
    id_key = SecretStr(load_id_hash_key(allow_demo_key=True).hex())
    settings = CentralSettings(
        site=SITE, mqtt=MqttSettings(url=broker_url), db=DbSettings(url=db_url), keys_dir=keys,
        id_hash_key=id_key, demo_id_key=True,
    )  # fmt: skip
    worker = build_worker(settings)
    worker.start()
    stack.callback(worker.stop)
    snapshots = build_snapshot_publisher(settings, policy=worker.policy, announcer=worker.announcer)
    snapshots.start()
    stack.callback(snapshots.stop)


def _print_logins(web_url: str | None, out: TextIO) -> None:
    if web_url:
        print(f"web: {web_url}/dashboard (officer), {web_url}/clinic (nurse), "
              f"{web_url}/kiosk/north-1 (guard-north-1), {web_url}/admin/users (admin); "
              f"password for every demo login: {DEMO_PASSWORD}", file=out)  # fmt: skip


def _office(broker_url: str, alerts: queue.SimpleQueue[FeverAlert]) -> MqttBus:
    """The security office's connection: it hears fever alerts and sends lockdowns."""

    def on_alert(message: InboundMessage) -> None:
        alerts.put(FeverAlert.model_validate_json(message.payload))

    office = MqttBus(
        parse_broker_url(broker_url),
        client_id=f"demo-office-{uuid.uuid4().hex[:6]}",
        on_message=on_alert,
        subscriptions=((site_topic(SITE, SiteChannel.FEVER_ALERT), 1),),
    )
    office.connect()
    return office


class _Traffic:
    """People walking through the lanes, a lockdown drill a third of the way in, the alerts."""

    def __init__(
        self,
        lanes: dict[str, DemoLane],
        office: MqttBus,
        db_url: str,
        alerts: queue.SimpleQueue[FeverAlert],
        summary: Summary,
        *,
        out: TextIO,
    ) -> None:
        self.lanes, self.office, self.db_url = lanes, office, db_url
        self.alerts, self.summary, self.out = alerts, summary, out
        # None: not locked yet; > 0: locked until then (monotonic); -1: released.
        self.locked_until: float | None = None

    def run(
        self, flow: Flow, *, duration_s: float | None, rate_hz: float, seed: int, colour: bool
    ) -> None:
        started = time.monotonic()
        deadline = None if duration_s is None else started + duration_s
        lock_at = started + (duration_s / 3 if duration_s else 20.0)
        entrances = [g for g, d in GATES if d == "in"]
        exits = [g for g, d in GATES if d == "out"]
        rng = random.Random(seed + 1)
        try:
            while deadline is None or time.monotonic() < deadline:
                self._drill(time.monotonic(), lock_at)
                walk = flow.next(datetime.now(UTC))
                gate = rng.choice(exits if walk.leaving else entrances)
                self._pass(gate, walk, colour)
                self._print_alerts()
                time.sleep(max(1 / rate_hz - 0.05, 0))
        except KeyboardInterrupt:
            pass
        if self._locked:
            _lockdown(self.office, self.db_url, locked=False)

    @property
    def _locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > 0

    def _drill(self, now_s: float, lock_at: float) -> None:
        if self.locked_until is None and now_s >= lock_at:
            _lockdown(self.office, self.db_url, locked=True)
            self.locked_until = now_s + LOCKDOWN_S
            print(f"          LOCKDOWN of {LOCKED_GATE} by the security office", file=self.out)
        elif self.locked_until is not None and now_s >= self.locked_until > 0:
            _lockdown(self.office, self.db_url, locked=False)
            self.locked_until = -1.0
            print(f"          {LOCKED_GATE} released", file=self.out)

    def _pass(self, gate: str, walk: Walk, colour: bool) -> None:
        expected = walk.expected
        if gate == LOCKED_GATE and self._locked:
            expected = "isolate" if walk.expected == "isolate" else "deny"
        decision = _walk(self.lanes[gate], walk)
        self.summary.sent += 1
        if decision is not None:
            self.summary.answered += 1
            self.summary.outcomes[decision.decision] += 1
            self.summary.unexpected += decision.decision != expected
        print(_line(gate, walk, expected, decision, colour), file=self.out, flush=True)

    def _print_alerts(self) -> None:
        while not self.alerts.empty():
            alert = self.alerts.get()
            self.summary.alerts += 1
            who = alert.person.name if alert.person else "unknown person"
            print(f"          CLINIC ALERT case {alert.case_id}: {who} at {alert.gate}, "
                  f"{alert.celsius} C", file=self.out, flush=True)  # fmt: skip


def run_demo(
    *,
    broker_url: str | None,
    workdir: Path | None,
    duration_s: float | None,
    rate_hz: float,
    headless: bool,
    out: TextIO = sys.stdout,
    seed: int = 2026,
    web: bool = True,
) -> Summary:
    with contextlib.ExitStack() as stack:
        base = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cg-demo-")))
        base.mkdir(parents=True, exist_ok=True)
        if broker_url is None:
            broker = stack.enter_context(LocalBroker(workdir=base / "broker"))
            broker_url = broker.url
        db_url = f"sqlite:///{base / 'campusgate.db'}"
        people = synthetic_people(PEOPLE, seed=seed)
        key, visitors, imported = _campus(db_url, base, people)
        _start_central(stack, broker_url, db_url, base / "keys")
        summary = Summary()
        alerts: queue.SimpleQueue[FeverAlert] = queue.SimpleQueue()

        office = _office(broker_url, alerts)
        stack.callback(office.close)
        lanes = {
            gate: start_lane(broker_url, site=SITE, gate=gate, direction=direction, workdir=base)
            for gate, direction in GATES
        }
        for lane in lanes.values():
            stack.callback(lane.close)
        web_url = stack.enter_context(_web(broker_url, db_url, base / "keys")) if web else None

        print(
            f"campusgate demo: broker {redact_url(broker_url)}, database {redact_url(db_url)}",
            file=out,
        )
        print(
            f"roster: {imported} people; {len(visitors)} visitors with approved appointments; "
            f"gates: {', '.join(f'{g} ({d})' for g, d in GATES)}",
            file=out,
        )
        _print_logins(web_url, out)
        print("Ctrl-C stops the demo." if duration_s is None else "", file=out, flush=True)

        def issue(subject: str, typ: str, ttl: timedelta, at: datetime) -> str:
            return issue_code(key, subject=subject, typ=typ, ttl=ttl, now=at, site=SITE)

        flow = Flow(
            people, [(name, code) for _, name, code in visitors], issue, random.Random(seed)
        )
        traffic = _Traffic(lanes, office, db_url, alerts, summary, out=out)
        traffic.run(flow, duration_s=duration_s, rate_hz=rate_hz, seed=seed,
                    colour=out.isatty() and not headless)  # fmt: skip
        _settle(lanes, alerts, summary)
        _count(db_url, lanes, summary)
        print(f"summary: {summary.render()}", file=out, flush=True)
        return summary


def _walk(lane: DemoLane, walk: Walk) -> Decision | None:
    """One person at one lane; the decision the lane acted on, or None."""
    while not lane.decisions.empty():
        lane.decisions.get()
    lane.present(walk.code, walk.celsius, no_mask=walk.no_mask)
    try:
        decision, _ = lane.decisions.get(timeout=DECISION_WAIT_S + PAIRING_WINDOW_S)
    except queue.Empty:
        decision = None
    lane.walk_on()
    return decision


def _settle(
    lanes: dict[str, DemoLane], alerts: queue.SimpleQueue[FeverAlert], summary: Summary
) -> None:
    deadline = time.monotonic() + 30
    while any(len(lane.outbox) for lane in lanes.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    while not alerts.empty():
        alerts.get()
        summary.alerts += 1
    summary.pulses = sum(lane.pulses() for lane in lanes.values())


def _count(db_url: str, lanes: dict[str, DemoLane], summary: Summary) -> None:
    produced = sum(lane.agent.stats.passages for lane in lanes.values())
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            summary.rows = session.scalar(select(func.count()).select_from(EntryRow)) or 0
            summary.cases = session.scalar(select(func.count()).select_from(IsolationCaseRow)) or 0
    finally:
        engine.dispose()
    # Every passage any gate produced is in the entry log, exactly once.
    summary.lost = max(produced - summary.rows, 0) + sum(
        len(lane.outbox) for lane in lanes.values()
    )
