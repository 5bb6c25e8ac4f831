"""Retention: old entries purged or anonymised, logged, cases kept, the chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from kernel.localtime import site_zone
from services.appointments import AppointmentRequest, request_appointment
from services.audit.chain import VerifyReport, chain_head, seal_all, verify
from services.audit.explain import explain
from services.audit.runs import RUNS_GENESIS, run_link, seal_run
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

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

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
        # The central worker seals within a second of receipt.
        seal_all(sessions=lambda: Session(engine), now=lambda w=when: w + timedelta(seconds=2))
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
        with pytest.raises(ConfigError, match="at least 28 days"):
            run_retention(session=session, days=27, mode="purge", now=NOW, actor="dpo")


def verify_now(engine: Engine, anchors: list[tuple[int, str]] | None = None) -> VerifyReport:
    with Session(engine) as session:
        return verify(session=session, anchors=anchors, now=NOW + timedelta(hours=1))


def _forge_run(engine: Engine, **values: object) -> None:
    """What an attacker with write access to the database does: a run row by hand."""
    row = {
        "run_at": NOW, "actor": "dpo", "mode": "purge", "days": 30,
        "cutoff": NOW - timedelta(days=30), "entries_affected": 2, "detail_json": "{}",
        **values,
    }  # fmt: skip
    with Session(engine) as session, session.begin():
        session.execute(insert(RetentionRunRow).values(**row))


def _delete_sealed_entries(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM entries WHERE case_id IS NULL"))


def test_a_forged_run_dated_2099_does_not_excuse_deleted_entries(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    history(engine, campus, processor)
    with Session(engine) as session:
        anchor = chain_head(session=session)
    _delete_sealed_entries(engine)
    far = datetime(2099, 1, 1, tzinfo=UTC)
    _forge_run(engine, cutoff=far, run_at=far + timedelta(days=30))
    for anchors in (None, [(anchor.seq, anchor.chain_hash)]):
        report = verify_now(engine, anchors)
        assert not report.ok
        kinds = {p.kind for p in report.problems}
        assert kinds == {"retention_forged", "deleted"}, report.problems
        assert report.purged_by_retention == 0


def test_a_forged_run_within_policy_is_still_not_believed(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    """A plausible run (30 days, dated now) written by hand is not in the chain of runs."""
    history(engine, campus, processor)
    _delete_sealed_entries(engine)
    _forge_run(engine)
    report = verify_now(engine)
    forged = [p.detail for p in report.problems if p.kind == "retention_forged"]
    assert len(forged) == 1
    assert forged[0].endswith("not covered by the chain (written by hand, or before 0006)")
    assert {p.kind for p in report.problems} == {"retention_forged", "deleted"}


def test_an_edited_run_and_an_inserted_run_break_the_chain_of_runs(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    history(engine, campus, processor)
    with Session(engine) as session, session.begin():
        run_retention(session=session, days=30, mode="purge", now=NOW, actor="dpo")
    assert verify_now(engine).ok
    # Moving the real run's cutoff forward would excuse more; its link no longer follows.
    with engine.begin() as conn:
        conn.execute(text("UPDATE retention_runs SET cutoff = :c"), {"c": NOW})
    report = verify_now(engine)
    # The run is no longer believed, so the two entries it purged show as deleted.
    assert [p.kind for p in report.problems] == ["retention_forged", "deleted", "deleted"]
    assert "altered or inserted" in report.problems[0].detail


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"days": 7}, "kept 7 days, the policy keeps 28"),
        ({"cutoff": NOW - timedelta(days=10)}, "cutoff is not its date minus the days"),
        ({"run_at": NOW + timedelta(days=2), "cutoff": NOW - timedelta(days=28)}, "future"),
        ({"chain_seq": 999, "chain_hash": "0" * 64}, "pinned to a chain row that does not"),
    ],
)
def test_a_run_outside_the_policy_is_refused_even_with_a_valid_link(
    engine: Engine, campus: Campus, processor: BatchProcessor, change: dict[str, object], why: str
) -> None:
    """An attacker who knows the link formula recomputes run_hash; the rules still hold."""
    history(engine, campus, processor)
    _delete_sealed_entries(engine)
    with Session(engine) as session, session.begin():
        head = chain_head(session=session)
        run = RetentionRunRow(run_at=NOW, actor="x", mode="purge", days=30,
                              cutoff=NOW - timedelta(days=30), entries_affected=2,
                              detail_json="{}")  # fmt: skip
        session.add(run)
        session.flush()
        seal_run(session, run, chain_seq=head.seq, chain_hash=head.chain_hash)
        for name, value in change.items():
            setattr(run, name, value)
        run.run_hash = run_link(RUNS_GENESIS, run)
    report = verify_now(engine)
    forged = [p.detail for p in report.problems if p.kind == "retention_forged"]
    assert len(forged) == 1
    assert why in forged[0]


def test_a_run_excuses_only_entries_sealed_before_it_ran(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    """Entries sealed after a run began are not covered by it, however old their date."""
    history(engine, campus, processor)
    with Session(engine) as session, session.begin():
        run_retention(session=session, days=30, mode="purge", now=NOW, actor="dpo")
    late = OLD - timedelta(days=1)
    person = campus.people[3].person_id
    (decision,) = decide_batch(
        processor, [passage(SITE, campus.code(person, now=late), ts=late)], late
    )
    seal_all(sessions=lambda: Session(engine), now=lambda: NOW + timedelta(minutes=1))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM entries WHERE event_id = :e"), {"e": str(decision.event_id)})
    problems = verify_now(engine).problems
    assert [(p.kind, p.event_id) for p in problems] == [("deleted", str(decision.event_id))]


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
    assert "dpo anonymised 30 d" in capsys.readouterr().out
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RetentionRunRow)) == 1
    assert main(["audit", "verify", "--db", db_url]) == 0


def test_age_counts_from_receipt_not_from_the_gates_clock(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    """A gate dating passages 1970 or 9999 neither gets them purged early nor kept for ever."""
    dated = {}
    for label, received, ts, who in [
        ("1970", RECENT, datetime(1970, 1, 2, tzinfo=UTC), campus.people[0].person_id),
        ("9999", OLD, datetime(9999, 1, 1, tzinfo=UTC), campus.people[2].person_id),
    ]:
        (decision,) = decide_batch(
            processor, [passage(SITE, campus.code(who, now=received), ts=ts)], received
        )
        dated[label] = str(decision.event_id)
        seal_all(sessions=lambda: Session(engine), now=lambda r=received: r + timedelta(seconds=2))
    with Session(engine) as session, session.begin():
        result = run_retention(session=session, days=30, mode="purge", now=NOW, actor="dpo")
    assert result.entries == 1
    assert entry(engine, dated["1970"]) is not None
    assert entry(engine, dated["9999"]) is None
    report = verify_now(engine)
    assert report.ok, report.problems
    assert report.purged_by_retention == 1
