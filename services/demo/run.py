"""``campusgate demo``: the whole backbone on one machine, with simulated gates.

Starts a private Mosquitto on a free local port (unless ``--broker`` is given),
migrates a SQLite database, imports a synthetic roster, makes signing keys,
runs a central worker, and walks simulated people through four gates, printing
each decision live.  ``--headless --duration S`` runs unattended and ends with
a summary whose ``lost`` count must be 0.
"""

from __future__ import annotations

import contextlib
import queue
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from gateway.client import DecisionClient
from schemas.messages import Decision, FeverAlert
from schemas.topics import SiteChannel, site_topic
from services.bus.broker import LocalBroker
from services.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from services.central.app import build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.codes import issue_code, new_key
from services.demo.flow import Visit, next_visit
from services.demo.people import roster_csv, synthetic_people
from services.identity import IdHasher, load_id_hash_key
from services.roster import import_roster
from services.storage.engine import make_engine, upgrade
from services.storage.repository import count_entries

SITE = "main"
GATES = ("north-1", "north-2", "south-1", "east-1")
PEOPLE = 400
DECISION_WAIT_S = 5.0
COLOURS = {"admit": "\033[32m", "recheck": "\033[33m", "deny": "\033[31m", "isolate": "\033[1;41m"}
RESET = "\033[0m"


@dataclass
class Summary:
    sent: int = 0
    answered: int = 0
    unexpected: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    rows: int = 0

    @property
    def lost(self) -> int:
        return self.sent - self.answered

    def render(self) -> str:
        outcome_text = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"passages {self.sent}, decisions {self.answered} ({outcome_text}), "
            f"fever alerts {self.alerts}, entries logged {self.rows}, "
            f"unexpected {self.unexpected}, lost {self.lost}"
        )


def _line(visit: Visit, decision: Decision | None, colour: bool) -> str:
    clock = visit.passage.ts.astimezone().strftime("%H:%M:%S")
    if decision is None:
        return f"{clock}  {visit.passage.gate:<8} NO ANSWER  {visit.who}"
    outcome = decision.decision.upper()
    if colour:
        outcome = f"{COLOURS[decision.decision]}{outcome:<8}{RESET}"
    temp = visit.passage.temperature
    celsius = f"{temp.celsius} C" if temp else "no temp"
    person = decision.person
    shown = f"{person.name} ({person.kind}, {person.masked_id})" if person else visit.who
    return (
        f"{clock}  {visit.passage.gate:<8} {outcome:<8} {shown:<44} {celsius:<8} "
        f"{visit.passage.direction:<3} {','.join(decision.reasons) or '-'}  [{visit.scenario}]"
    )


def run_demo(
    *,
    broker_url: str | None,
    workdir: Path | None,
    duration_s: float | None,
    rate_hz: float,
    headless: bool,
    out: TextIO = sys.stdout,
    seed: int = 2026,
) -> Summary:
    with contextlib.ExitStack() as stack:
        base = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cg-demo-")))
        base.mkdir(parents=True, exist_ok=True)
        if broker_url is None:
            broker = stack.enter_context(LocalBroker(workdir=base / "broker"))
            broker_url = broker.url
        db_url = f"sqlite:///{base / 'campusgate.db'}"
        upgrade(db_url)
        people = synthetic_people(PEOPLE, seed=seed)
        engine = make_engine(db_url)
        hasher = IdHasher(load_id_hash_key(allow_demo_key=True))
        with Session(engine) as session, session.begin():
            report = import_roster(roster_csv(people).splitlines(), session=session, hasher=hasher)
        engine.dispose()
        key = new_key(base / "keys")
        settings = CentralSettings(
            site=SITE,
            mqtt=MqttSettings(url=broker_url),
            db=DbSettings(url=db_url),
            keys_dir=base / "keys",
        )
        worker = build_worker(settings)
        worker.start()
        stack.callback(worker.stop)

        summary = Summary()
        alerts: queue.SimpleQueue[FeverAlert] = queue.SimpleQueue()

        def on_alert(message: InboundMessage) -> None:
            alerts.put(FeverAlert.model_validate_json(message.payload))

        clinic = MqttBus(
            parse_broker_url(broker_url),
            client_id="demo-clinic",
            on_message=on_alert,
            subscriptions=((site_topic(SITE, SiteChannel.FEVER_ALERT), 1),),
        )
        clinic.connect()
        stack.callback(clinic.close)
        gates = DecisionClient(broker_url, site=SITE).connect()
        stack.callback(gates.close)

        colour = out.isatty() and not headless
        print(f"campusgate demo: broker {broker_url}, database {db_url}", file=out)
        print(f"roster: {report.inserted} people imported; gates: {', '.join(GATES)}", file=out)
        print("Ctrl-C stops the demo." if duration_s is None else "", file=out, flush=True)

        def issue(subject: str, ttl: timedelta, at: datetime) -> str:
            return issue_code(key, subject=subject, typ="id", ttl=ttl, now=at)

        rng = random.Random(seed)
        deadline = None if duration_s is None else time.monotonic() + duration_s
        stop = threading.Event()
        try:
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                gate = rng.choice(GATES)
                visit = next_visit(rng, site=SITE, gate=gate, people=people, issue=issue,
                                   now=datetime.now(UTC))  # fmt: skip
                summary.sent += 1
                decision = gates.request(visit.passage, timeout=DECISION_WAIT_S)
                if decision is not None:
                    summary.answered += 1
                    summary.outcomes[decision.decision] += 1
                    summary.unexpected += decision.decision != visit.expected
                print(_line(visit, decision, colour), file=out, flush=True)
                while not alerts.empty():
                    alert = alerts.get()
                    summary.alerts += 1
                    who = alert.person.name if alert.person else "unknown person"
                    print(f"          CLINIC ALERT case {alert.case_id}: {who} at {alert.gate}, "
                          f"{alert.celsius} C", file=out, flush=True)  # fmt: skip
                stop.wait(1 / rate_hz)
        except KeyboardInterrupt:
            pass
        time.sleep(0.2)
        while not alerts.empty():
            alerts.get()
            summary.alerts += 1
        engine = make_engine(db_url)
        with Session(engine) as session:
            summary.rows = count_entries(session=session)
        engine.dispose()
        print(f"summary: {summary.render()}", file=out, flush=True)
        return summary
