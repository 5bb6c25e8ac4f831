"""Isolating a list of people: person ids and ID numbers, all or nothing, bombs refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.cases.bulk import MAX_BYTES, MAX_PROBLEMS_SHOWN, MAX_ROWS, BulkReport, parse_list
from services.cases.bulk import isolate_list as isolate
from services.cases.lifecycle import Actor, CaseRefused, Origin
from services.identity import IdHasher
from services.storage.engine import make_engine
from services.storage.models import CaseEventRow, IsolationCaseRow, PersonRow
from tests.fixtures.roster import ids, wrong_check_digit

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
NURSE = Actor("nurse", "clinic")
HASHER = IdHasher(b"a test key of thirty-two bytes!!")
NUMBERS = ids(5, seed=17)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        for index, number in enumerate(NUMBERS):
            s.add(PersonRow(person_id=f"S{index}", name=f"Student {index}", kind="student",
                            id_hash=HASHER.hash(number), id_last4=number[-4:],
                            updated_at=NOW))  # fmt: skip
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


def cases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IsolationCaseRow)) or 0


def run(session: Session, text: str | bytes, *, dry_run: bool = False) -> BulkReport:
    data = text.encode() if isinstance(text, str) else text
    return isolate(session, "main", data, hasher=HASHER, origin=Origin.AUTHORITY,
                   note="district list 12-03", actor=NURSE, now=NOW, dry_run=dry_run)  # fmt: skip


def test_person_ids_and_id_numbers_each_isolate_their_person_once(session: Session) -> None:
    text = f"学号\nS0\n{NUMBERS[1]}\n{NUMBERS[2].lower()}, 张三\n\n# a comment\nS1\n"
    assert run(session, text, dry_run=True).written is False
    assert cases(session) == 0
    report = run(session, text)
    assert (report.rows, report.matched, report.problem_count, report.written) == (4, 3, 0, True)
    assert len(report.opened) == 3
    stored = session.scalars(select(IsolationCaseRow).order_by(IsolationCaseRow.person_id)).all()
    assert [(c.person_id, c.origin, c.status, c.opened_by, c.acknowledged_by) for c in stored] == [
        (f"S{i}", "authority", "acknowledged", "nurse", "nurse") for i in range(3)
    ]  # opened by the clinic's hand: seen, never escalated
    # The same list again joins the open cases instead of opening more.
    again = run(session, "S0\nS2\n")
    assert (again.opened, sorted(again.joined)) == ([], sorted(c.case_id for c in stored[::2]))
    joined = session.scalars(select(CaseEventRow.kind).where(CaseEventRow.kind == "joined")).all()
    assert len(joined) == 2


def test_one_bad_or_unknown_row_and_nothing_is_stored(session: Session) -> None:
    bad = wrong_check_digit(NUMBERS[3])
    text = f"S0\nnobody-here\n{bad}\nrm -rf /\n{ids(1, seed=99)[0]}\nS1\n"
    report = run(session, text)
    assert report.written is False
    assert cases(session) == 0
    assert [(p.line, p.reason) for p in report.problems] == [
        (4, "neither a person id nor a valid ID number"),
        (2, "nobody in the roster has this id"),
        (3, "nobody in the roster has this id"),
        (5, "nobody in the roster has this id"),
    ]
    shown = [p.value for p in report.problems]
    assert shown[3] == "*" * 14 + ids(1, seed=99)[0][-4:]  # an ID number is never shown whole
    assert ids(1, seed=99)[0] not in repr(report)


def test_a_hundred_thousand_rows_with_garbage_are_reported_row_by_row_and_nothing_stored(
    session: Session,
) -> None:
    rows = [f"S{i % 5}" if i % 1000 else f"\x01garbage {i};" for i in range(MAX_ROWS)]
    report = run(session, "\n".join(rows))
    assert (report.rows, report.problem_count, report.written) == (MAX_ROWS, 100, False)
    assert report.problems[0].line == 1
    assert report.problems[0].value == "?garbage 0"
    assert cases(session) == 0
    # Every row garbage: the report stops listing at its limit and still counts them all.
    report = run(session, "\n".join(f"bad value {i}!" for i in range(MAX_ROWS)))
    assert (report.problem_count, len(report.problems)) == (MAX_ROWS, MAX_PROBLEMS_SHOWN)
    assert cases(session) == 0


def test_size_bombs_are_refused_before_reading(session: Session) -> None:
    report = run(session, "S0\n" * (MAX_ROWS + 5))
    assert report.problems[-1].reason.startswith(f"more than {MAX_ROWS:,} rows")
    assert (report.written, cases(session)) == (False, 0)
    with pytest.raises(CaseRefused, match="list_too_large"):
        run(session, b"S0\n" * (MAX_BYTES // 3 + 1))
    with pytest.raises(CaseRefused, match="list_not_utf8"):
        run(session, b"S0\n\xff\xfe\n")
    with pytest.raises(CaseRefused, match="not_clinician"):
        isolate(session, "main", b"S0", hasher=HASHER, origin=Origin.AUTHORITY, note="",
                actor=Actor("guard-n1", "guard"), now=NOW)  # fmt: skip
    assert cases(session) == 0


@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_any_bytes_give_entries_and_problems_that_account_for_every_row(data: bytes) -> None:
    report = BulkReport()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        with pytest.raises(CaseRefused, match="list_not_utf8"):
            parse_list(data, report)
        return
    entries = parse_list(data, report)
    assert len(entries) + report.problem_count == report.rows
    assert all(e.line >= 1 and e.value for e in entries)
