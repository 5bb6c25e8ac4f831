"""Retention: old entries purged or anonymised, logged, cases kept, the chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from kernel.localtime import site_zone
from services.appointments import AppointmentRequest, request_appointment
from services.audit.chain import seal_all, verify
from services.audit.explain import explain
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.privacy.retention import run_retention
from services.reports.daily import daily_report
from services.storage.models import (
    AppointmentRow,
    AuditLogRow,
    EntryRow,
    HouseholdExitRow,
    RetentionRunRow,
)
from tests.fixtures.admin import HASHER, SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=5)


def history(engine: Engine, campus: Campus, processor: BatchProcessor) -> dict[str, str]:
    people = campus.people
    family = next(p for p in people if p.household)
    events = {}
    for label, when, who, extra in [
        ("old", OLD, people[0].person_id, {}),
        ("old-fever", OLD, people[1].person_id, {"celsius": "38.4"}),
        ("old-exit", OLD, family.person_id, {"direction": "out", "gate": "east-1"}),
        ("recent", RECENT, people[2].person_id, {}),
    ]:
        (decision,) = decide_batch(
            processor, [passage(SITE, campus.code(who, now=when), ts=when, **extra)], when
        )
        events[label] = str(decision.event_id)
    with Session(engine) as session, session.begin():
        request_appointment(
            session=session,
            request=AppointmentRequest(
                site=SITE,
                visitor_name="Old Visitor",
                phone="13911112222",
                id_number=SecretStr(GOOD[0]),
                host_unit="CS",
                gates=["*"],
                valid_from=OLD,
                valid_until=OLD + timedelta(hours=2),
            ),
            hasher=HASHER,
            by="x",
            now=OLD,
        )
    seal_all(sessions=lambda: Session(engine), now=lambda: NOW)
    return events


def entry(engine: Engine, event_id: str) -> EntryRow | None:
    with Session(engine) as session:
        return session.scalars(select(EntryRow).where(EntryRow.event_id == event_id)).first()


def test_anonymise_keeps_the_public_record_and_the_chain(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    events = history(engine, campus, processor)
    with Session(engine) as session, session.begin():
        result = run_retention(session=session, days=30, mode="anonymise", now=NOW, actor="dpo")
    assert (result.entries, result.kept_for_cases, result.not_sealed) == (2, 1, 0)
    assert (result.household_exits, result.grants_anonymised) == (1, 1)
    old = entry(engine, events["old"])
    assert old is not None
    assert (old.person_id, old.passage_json, old.decision) == (None, '{"anonymised":true}', "admit")
    assert old.gate == "north-1"
    fever = entry(engine, events["old-fever"])
    assert fever is not None
    assert fever.person_id == campus.people[1].person_id  # kept whole: it opened a case
    recent = entry(engine, events["recent"])
    assert recent is not None
    assert recent.person_id is not None
    report = verify_now(engine)
    assert report.ok, report.problems
    assert (report.anonymised, report.entries_checked) == (2, 4)
    # The public record still answers questions: the old day's report and explanations.
    with Session(engine) as session, session.begin():
        day = daily_report(
            session=session,
            site=SITE,
            day=OLD.astimezone(site_zone()).date(),
            tz=site_zone(),
            now=NOW,
        )
        why = explain(session=session, event_id=events["old"], actor="a", role="auditor", now=NOW)
        visitor = session.scalars(select(AppointmentRow)).one()
        shown = (visitor.visitor_name, visitor.phone, visitor.id_hash)
        exits = session.scalar(select(func.count()).select_from(HouseholdExitRow))
        logged = session.scalars(
            select(AuditLogRow.action).where(AuditLogRow.action.startswith("retention."))
        ).all()
    assert day.entries == 3
    assert why.seal["anonymised"] is True
    assert why.seal["public_fields_match"] is True
    assert shown == ("O** V******", "", "")
    assert exits == 0
    assert logged == ["retention.anonymise"]
    # An anonymised entry is still protected: its public fields are sealed ...
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET decision = 'deny' WHERE event_id = :e"), {"e": events["old"]}
        )
    assert {p.kind for p in verify_now(engine).problems} == {"edited"}


def test_an_anonymised_entry_cannot_take_back_a_person(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    events = history(engine, campus, processor)
    with Session(engine) as session, session.begin():
        run_retention(session=session, days=30, mode="anonymise", now=NOW, actor="dpo")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET person_id = 'S00009' WHERE event_id = :e"),
            {"e": events["old"]},
        )
    assert [p.kind for p in verify_now(engine).problems] == ["edited"]


def test_purge_is_excused_by_its_run_but_a_case_entry_never_is(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    events = history(engine, campus, processor)
    with Session(engine) as session, session.begin():
        result = run_retention(session=session, days=30, mode="purge", now=NOW, actor="dpo")
    assert result.entries == 2
    assert entry(engine, events["old"]) is None
    report = verify_now(engine)
    assert report.ok, report.problems
    assert report.purged_by_retention == 2
    with engine.begin() as conn:  # someone deletes the case's entry, hiding behind the run
        conn.execute(text("DELETE FROM entries WHERE event_id = :e"), {"e": events["old-fever"]})
    problems = verify_now(engine).problems
    assert [(p.kind, p.event_id) for p in problems] == [("deleted", events["old-fever"])]


def test_unsealed_entries_wait_and_bad_settings_are_refused(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    person = campus.people[0].person_id
    decide_batch(processor, [passage(SITE, campus.code(person, now=OLD), ts=OLD)], OLD)
    with Session(engine) as session, session.begin():
        result = run_retention(session=session, days=30, mode="purge", now=NOW, actor="dpo")
        assert (result.entries, result.not_sealed) == (0, 1)
        with pytest.raises(Exception, match="at least 1 day"):
            run_retention(session=session, days=0, mode="purge", now=NOW, actor="dpo")


def verify_now(engine: Engine) -> object:
    with Session(engine) as session:
        return verify(session=session)


def test_cli_retention(
    db_url: str,
    engine: Engine,
    campus: Campus,
    processor: BatchProcessor,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    history(engine, campus, processor)
    assert (
        main(
            [
                "retention",
                "run",
                "--days",
                "30",
                "--mode",
                "anonymise",
                "--db",
                db_url,
                "--by",
                "dpo",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "anonymised 2 entr(ies)" in out
    assert "kept 1 of isolation cases" in out
    assert main(["retention", "runs", "--db", db_url]) == 0
    assert "dpo anonymise 30 d" in capsys.readouterr().out
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RetentionRunRow)) == 1
    assert main(["audit", "verify", "--db", db_url]) == 0
