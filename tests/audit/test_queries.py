"""Audit queries: history, explanations, contact tracing, exports; each query is logged."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.codes import KeyRing
from schemas.messages import Decision
from services.appointments import AppointmentRequest, add_approver, approve, request_appointment
from services.audit.explain import explain
from services.audit.export import export_entries, export_trace
from services.audit.queries import gate_history, person_history, read_audit_log
from services.audit.trace import trace_contacts
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.storage.models import AuditLogRow
from tests.fixtures.admin import HASHER, SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

DAY = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def walk(
    processor: BatchProcessor, campus: Campus, who: str, when: datetime, gate: str, **kw: object
) -> Decision:
    (decision,) = decide_batch(
        processor, [passage(SITE, campus.code(who, now=when), gate=gate, ts=when, **kw)], when
    )
    return decision


@pytest.fixture
def scene(engine: Engine, campus: Campus, processor: BatchProcessor) -> dict[str, object]:
    """A case (X) and the people around them over a day at two gates."""
    x, y, z, w = (campus.people[i].person_id for i in (0, 1, 2, 3))
    with Session(engine) as session, session.begin():
        add_approver(session=session, unit="CS", approver="prof", by="admin", now=at(0))
        made = request_appointment(
            session=session,
            request=AppointmentRequest(
                site=SITE,
                visitor_name="Visiting Scholar",
                id_number=SecretStr(GOOD[0]),
                host_unit="CS",
                gates=["south-2"],
                valid_from=at(10),
                valid_until=at(14),
            ),
            hasher=HASHER,
            by="host",
            now=at(0),
        )
        visitor_code = approve(
            session=session,
            appointment_id=made.appointment_id,
            by="prof",
            now=at(0),
            key=campus.key,
        ).code
    events = {
        "x1": walk(processor, campus, x, at(8), "north-1"),
        "y1": walk(processor, campus, y, at(8 + 10 / 60), "north-1"),
        "stranger": walk(processor, campus, "nobody", at(8 + 20 / 60), "north-1"),
        "z": walk(processor, campus, z, at(9), "north-1"),
        "w": walk(processor, campus, w, at(8 + 5 / 60), "south-2"),
        "x2": walk(processor, campus, x, at(12), "south-2", celsius="37.8"),
        "y2": walk(processor, campus, y, at(12 + 20 / 60), "south-2"),
    }
    (visitor,) = decide_batch(
        processor, [passage(SITE, visitor_code, gate="south-2", ts=at(11.75))], at(11.75)
    )
    events["visitor"] = visitor
    return {"x": x, "y": y, "z": z, "w": w, "events": events, "appointment": made.appointment_id}


def test_person_and_gate_history_are_logged_and_masked(
    engine: Engine, scene: dict[str, object]
) -> None:
    x = str(scene["x"])
    with Session(engine) as session, session.begin():
        mine = person_history(
            session=session,
            person_id=x,
            since=DAY,
            until=at(24),
            actor="auditor-zhao",
            role="auditor",
            now=at(30),
        )
        north = gate_history(
            session=session,
            site=SITE,
            gate="north-1",
            since=DAY,
            until=at(24),
            actor="guard-1",
            role="report",
            now=at(30),
        )
        denials = gate_history(
            session=session,
            site=SITE,
            gate="north-1",
            since=DAY,
            until=at(24),
            actor="auditor-zhao",
            role="auditor",
            now=at(30),
            decisions=["deny"],
        )
    assert [(e.gate, e.decision) for e in mine] == [("north-1", "admit"), ("south-2", "isolate")]
    assert mine[1].reasons == ["fever"]
    assert mine[0].name is not None
    assert "*" not in mine[0].name
    assert len(north) == 4
    assert all(e.name is None or "*" in e.name for e in north)  # masked for circulation
    assert [e.reasons for e in denials] == [["not_whitelisted"]]
    with Session(engine) as session:
        log = session.scalars(select(AuditLogRow).where(AuditLogRow.action.startswith("audit.")))
        logged = [(r.actor, r.action, r.target, r.result_count) for r in log]
    assert logged == [
        ("auditor-zhao", "audit.person", x, 2),
        ("guard-1", "audit.gate", "main/north-1", 4),
        ("auditor-zhao", "audit.gate", "main/north-1", 1),
    ]


def test_trace_finds_who_was_near_the_case_from_gate_logs(
    engine: Engine, scene: dict[str, object]
) -> None:
    with Session(engine) as session, session.begin():
        report = trace_contacts(
            session=session,
            person_id=str(scene["x"]),
            window=timedelta(minutes=30),
            actor="epi",
            role="auditor",
            now=at(30),
        )
    assert len(report.passages) == 2
    found = {c.who: c for c in report.contacts}
    y = found[str(scene["y"])]
    assert (y.encounters, y.closest_seconds, y.gates) == (2, 600, ["north-1", "south-2"])
    visitor = found[str(scene["appointment"])]
    assert (visitor.name, visitor.kind, visitor.closest_seconds) == (
        "Visiting Scholar",
        "visitor",
        900,
    )
    stranger = next(c for c in report.contacts if c.who.startswith("unidentified"))
    assert stranger.closest_seconds == 1200
    assert str(scene["z"]) not in found  # an hour later: outside the window
    assert str(scene["w"]) not in found  # same time, another gate
    assert [c.closest_seconds for c in report.contacts] == sorted(
        c.closest_seconds for c in report.contacts
    )
    with Session(engine) as session, session.begin():
        narrow = trace_contacts(
            session=session,
            person_id=str(scene["x"]),
            window=timedelta(minutes=5),
            actor="epi",
            role="auditor",
            now=at(30),
        )
    assert narrow.contacts == []


def test_explain_shows_inputs_facts_policy_and_every_reason(
    engine: Engine, campus: Campus, processor: BatchProcessor, scene: dict[str, object]
) -> None:
    events = scene["events"]
    assert isinstance(events, dict)
    fever_event = str(events["x2"].event_id)
    with Session(engine) as session, session.begin():
        found = explain(
            session=session,
            event_id=fever_event,
            actor="auditor",
            role="auditor",
            now=at(30),
            keyring=KeyRing.load(campus.keys_dir),
        )
        stranger = explain(
            session=session,
            event_id=str(events["stranger"].event_id),
            actor="auditor",
            role="auditor",
            now=at(30),
        )
        visitor = explain(
            session=session,
            event_id=str(events["visitor"].event_id),
            actor="auditor",
            role="auditor",
            now=at(30),
        )
    assert [r.reason for r in found.reasons] == ["fever"]
    assert "37.80 C" in found.reasons[0].why
    assert "threshold" in found.reasons[0].why
    assert found.inputs["temperature"]["sensor"] == "ir-0"
    assert "credentials" not in found.inputs  # the code text is a bearer secret: never shown
    (code,) = found.codes
    assert (code.typ, code.subject, code.status_then) == ("id", scene["x"], "valid")
    assert found.facts["case"]["opened_by_this_passage"] is True
    assert found.facts["person"]["person_id"] == scene["x"]
    assert found.policy["version"] == 1
    assert found.decision["answer_sent"]["decision"] == "isolate"
    assert found.seal["sealed"] is False
    assert [r.reason for r in stranger.reasons] == ["not_whitelisted"]
    assert stranger.codes[0].status_then == "unchecked"  # no keys given: claims only
    assert visitor.facts["grant"]["approved_by"] == "prof"
    assert visitor.entry["grant_id"] == scene["appointment"]


def test_quota_and_one_time_denials_are_explained(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    members = [p for p in campus.people if p.household]
    first, second = next(
        (a, b) for a in members for b in members if a.household == b.household and a != b
    )
    walk(processor, campus, first.person_id, at(8), "east-1", direction="out")
    denied = walk(processor, campus, second.person_id, at(9), "east-1", direction="out")
    code = campus.code(campus.people[0].person_id, now=at(8), once=True)
    used = decide_batch(
        processor, [passage(SITE, code, ts=at(8)), passage(SITE, code, ts=at(8))], at(8)
    )
    with Session(engine) as session, session.begin():
        quota = explain(
            session=session, event_id=str(denied.event_id), actor="a", role="auditor", now=at(10)
        )
        again = explain(
            session=session, event_id=str(used[1].event_id), actor="a", role="auditor", now=at(10)
        )
    assert quota.reasons[0].reason == "quota_exceeded"
    assert first.person_id in quota.reasons[0].why
    assert quota.facts["household_exits_before"][0]["person_id"] == first.person_id
    assert again.reasons[0].reason == "code_used"
    assert str(used[0].event_id) in again.reasons[0].why


def test_exports_and_the_audit_log_of_queries(
    engine: Engine, scene: dict[str, object], tmp_path: Path
) -> None:
    with Session(engine) as session, session.begin():
        entries = gate_history(
            session=session,
            site=SITE,
            gate="south-2",
            since=DAY,
            until=at(24),
            actor="a",
            role="auditor",
            now=at(30),
        )
        report = trace_contacts(
            session=session,
            person_id=str(scene["x"]),
            window=timedelta(minutes=30),
            actor="a",
            role="report",
            now=at(30),
        )
    assert export_entries(tmp_path / "e.csv", entries, fmt="csv") == 4
    with (tmp_path / "e.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["time", "site", "gate"]
    assert {r[4] for r in rows[1:]} == {"ADMIT", "ISOLATE"}
    export_trace(tmp_path / "t.xlsx", report, fmt="xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert workbook.sheetnames == ["trace", "contacts", "passages"]
    contacts = list(workbook["contacts"].iter_rows(values_only=True))
    assert len(contacts) == 1 + len(report.contacts)
    assert all("*" in str(row[1]) for row in contacts[1:] if row[1])  # report role: masked
    with Session(engine) as session, session.begin():
        seen = read_audit_log(
            session=session, since=DAY, until=at(48), actor="chief", role="auditor", now=at(31)
        )
    assert [r.action for r in seen if r.action.startswith("audit.")] == [
        "audit.gate",
        "audit.trace",
    ]
    with Session(engine) as session:
        last = session.scalars(select(AuditLogRow).order_by(AuditLogRow.id.desc())).first()
    assert last is not None
    assert (last.actor, last.action) == ("chief", "audit.log")  # reading the log is logged too


def test_cli_person_trace_explain_log(
    db_url: str, scene: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = str(scene["x"])
    span = ["--since", "2026-11-19", "--until", "2026-11-21", "--db", db_url]
    assert (
        main(["audit", "person", x, *span, "--out", str(tmp_path / "x.xlsx"), "--by", "zhao"]) == 0
    )
    out = capsys.readouterr().out
    assert "2 passage(s)" in out
    assert "ISOLATE" in out
    assert (tmp_path / "x.xlsx").exists()
    assert (
        main(["audit", "trace", x, "--window", "30m", *span, "--out", str(tmp_path / "t.csv")]) == 0
    )
    out = capsys.readouterr().out
    assert "3 contact(s)" in out
    assert str(scene["y"]) in out
    events = scene["events"]
    assert isinstance(events, dict)
    assert main(["audit", "explain", str(events["x2"].event_id), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "ISOLATE fever:" in out
    assert "CG1." not in out
    assert main(["audit", "gate", "north-1", "--decision", "deny", *span]) == 0
    assert "1 passage(s)" in capsys.readouterr().out
    assert main(["audit", "log", "--who", "zhao", "--since", "2026-06-01", "--db", db_url]) == 0
    assert "audit.person" in capsys.readouterr().out
    assert main(["audit", "explain", "not-an-event", "--db", db_url]) == 2
