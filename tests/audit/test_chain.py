"""The hash chain over the entry log: ``audit verify`` catches every kind of tampering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from services.audit.chain import (
    GENESIS,
    VerifyReport,
    chain_head,
    link,
    seal,
    seal_all,
    verify,
)
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.storage.models import EntryChainRow, EntryRow
from tests.fixtures.admin import SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


def log_some(processor: BatchProcessor, campus: Campus, count: int = 6) -> None:
    people = campus.people
    passages = [
        passage(
            SITE,
            campus.code(people[i].person_id, now=NOW),
            celsius="38.0" if i == 2 else "36.6",
            ts=NOW,
        )
        for i in range(count)
    ]
    decide_batch(processor, passages, NOW)


def sealed(engine: Engine) -> int:
    return seal_all(sessions=lambda: Session(engine), now=lambda: LATER)


def check(engine: Engine, anchors: list[tuple[int, str]] | None = None) -> VerifyReport:
    with Session(engine) as session:
        return verify(session=session, anchors=anchors)


def ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(EntryRow.id).order_by(EntryRow.id)))


def test_sealing_is_ordered_complete_and_idempotent(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    log_some(processor, campus)
    with Session(engine) as session, session.begin():
        assert seal(session=session, now=NOW) == 0  # too fresh: committed less than a second ago
    assert sealed(engine) == 6
    assert sealed(engine) == 0
    report = check(engine)
    assert report.ok, report.problems
    assert (report.chain_rows, report.entries_checked, report.unsealed_tail) == (6, 6, 0)
    with Session(engine) as session:
        rows = session.scalars(select(EntryChainRow).order_by(EntryChainRow.seq)).all()
        head = chain_head(session=session)
    assert [r.entry_id for r in rows] == ids(engine)
    previous = GENESIS
    for r in rows:  # the links can be recomputed by anyone from the rows alone
        previous = link(
            previous, r.seq, r.entry_id, r.event_id, r.entry_ts, r.public_hash, r.personal_hash
        )
        assert previous == r.chain_hash
    assert head.anchor() == f"6:{previous}"
    log_some(processor, campus, 2)
    assert check(engine).unsealed_tail == 2  # new entries wait for the sealer; not a problem
    assert check(engine).ok


def tamper_edit_decision(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET decision = 'admit', reasons = '' WHERE id = :i"),
            {"i": ids(engine)[2]},
        )


def tamper_edit_person(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET person_id = 'S09999' WHERE id = :i"), {"i": ids(engine)[1]}
        )


def tamper_edit_temperature(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE entries SET celsius = 36.5 WHERE id = :i"), {"i": ids(engine)[2]})


def tamper_delete(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM entries WHERE id = :i"), {"i": ids(engine)[3]})


def tamper_insert_below_head(engine: Engine) -> None:
    copy_as(engine, new_id=0, received_at=NOW)


def tamper_delete_chain_row(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM entry_chain WHERE seq = 3"))


def tamper_edit_chain_row(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE entry_chain SET public_hash = :h WHERE seq = 4"), {"h": "0" * 64})


def copy_as(engine: Engine, *, new_id: int, received_at: datetime) -> None:
    """Insert a forged entry: a copy of the first one under another id and event id."""
    columns = [c.name for c in EntryRow.__table__.columns if c.name not in ("id", "event_id")]
    names = ", ".join(columns)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO entries (id, event_id, {names}) SELECT :new_id, "  # noqa: S608
                f"'00000000-0000-7000-8000-000000000000', {names} FROM entries WHERE id = :old"
            ),
            {"new_id": new_id, "old": ids(engine)[0]},
        )
        conn.execute(
            text("UPDATE entries SET received_at = :r WHERE id = :i"),
            {"r": received_at, "i": new_id},
        )


TAMPERING: dict[str, tuple[Callable[[Engine], None], str]] = {
    "edited decision": (tamper_edit_decision, "edited"),
    "edited person": (tamper_edit_person, "edited"),
    "edited temperature": (tamper_edit_temperature, "edited"),
    "deleted entry": (tamper_delete, "deleted"),
    "inserted entry": (tamper_insert_below_head, "inserted"),
    "deleted chain row": (tamper_delete_chain_row, "chain_broken"),
    "edited chain row": (tamper_edit_chain_row, "chain_broken"),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_verify_detects(
    name: str, engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    log_some(processor, campus)
    sealed(engine)
    assert check(engine).ok
    tamper, kind = TAMPERING[name]
    tamper(engine)
    report = check(engine)
    assert not report.ok
    assert kind in {p.kind for p in report.problems}, report.problems


def test_an_entry_written_after_the_fact_is_sealed_late_and_flagged(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    log_some(processor, campus)
    sealed(engine)
    head_id = ids(engine)[-1]
    copy_as(engine, new_id=head_id + 100, received_at=NOW - timedelta(days=2))
    sealed(engine)
    report = check(engine)
    assert report.ok  # the forged row is now sealed ...
    assert [w.kind for w in report.warnings] == ["late_seal"]  # ... two days after "it happened"
    assert report.warnings[0].entry_id == head_id + 100


def test_a_rebuilt_chain_or_a_cut_tail_fails_its_anchor(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    log_some(processor, campus)
    sealed(engine)
    with Session(engine) as session:
        anchor = chain_head(session=session)
    tamper_edit_decision(engine)
    with engine.begin() as conn:  # the forger re-seals everything from scratch
        conn.execute(text("DELETE FROM entry_chain"))
    sealed(engine)
    assert check(engine).ok  # consistent on its own ...
    report = check(engine, [(anchor.seq, anchor.chain_hash)])
    assert [p.kind for p in report.problems] == ["anchor"]  # ... but not with the report's anchor
    with engine.begin() as conn:  # cut the last entry and its chain row
        conn.execute(text("DELETE FROM entry_chain WHERE seq = :s"), {"s": anchor.seq})
        conn.execute(text("DELETE FROM entries WHERE id = :i"), {"i": anchor.entry_id})
    report = check(engine, [(anchor.seq, anchor.chain_hash)])
    assert "cut" in report.problems[0].detail


def test_cli_seal_and_verify(
    db_url: str,
    engine: Engine,
    campus: Campus,
    processor: BatchProcessor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC)
    decide_batch(
        processor,
        [passage(SITE, campus.code(campus.people[0].person_id), ts=now - timedelta(seconds=5))],
        now - timedelta(seconds=5),
    )
    assert main(["audit", "seal", "--db", db_url]) == 0
    head = capsys.readouterr().out.strip().split()[-1]
    assert head.startswith("1:")
    assert main(["audit", "verify", "--db", db_url, "--anchor", head]) == 0
    assert "OK: the entry log is intact" in capsys.readouterr().out
    tamper_edit_decision_any(engine)
    assert main(["audit", "verify", "--db", db_url]) == 1
    assert "TAMPERED edited" in capsys.readouterr().out
    with Session(engine) as session:
        logged = session.scalar(
            select(func.count())
            .select_from(text("audit_log"))
            .where(text("action = 'audit.verify'"))
        )
    assert logged == 2


def tamper_edit_decision_any(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE entries SET decision = 'deny'"))
