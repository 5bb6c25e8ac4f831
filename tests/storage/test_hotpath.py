"""The central's prepared statements read and write exactly what the ORM does, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.hotpath import CHUNK
from services.storage.models import EntryRow, GateStateRow, IsolationCaseRow, PersonRow
from services.storage.records import EntryRecord

NOW = datetime(2026, 11, 25, 8, 0, 0, 123456, tzinfo=UTC)
BEIJING = datetime(2026, 11, 25, 16, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))


def person(person_id: str, **changes: object) -> PersonRow:
    values: dict[str, object] = {
        "person_id": person_id, "name": f"name {person_id}", "kind": "student",
        "id_hash": f"hash-{person_id}", "id_last4": "123X", "unit": "CS",
        "household": None, "valid_from": None, "valid_until": None, "gates": "*",
        "active": True, "return_approved": True, "updated_at": NOW,
    }  # fmt: skip
    values.update(changes)
    return PersonRow(**values)


def full_entry(event_id: uuid.UUID) -> EntryRecord:
    return EntryRecord(
        event_id=event_id,
        site="main",
        gate="north-1",
        direction="out",
        ts=NOW - timedelta(seconds=3),
        received_at=NOW,
        decided_at=BEIJING,  # another zone: stored as UTC
        person_id="S1",
        decision="isolate",
        reasons=("fever", "no_mask"),
        celsius=Decimal("37.35"),
        policy_version=4,
        local_decision="admit",
        recheck_of=uuid.UUID(int=7),
        case_id="C-1",
        passage_json='{"x": "passage, with \u4e2d\u6587"}',
        decision_json='{"decision": "isolate"}',
        sensor="ir-0",
        kind="student",
        grant_id=None,
    )


def test_entries_written_by_the_hot_path_read_back_through_the_orm(db_url: str) -> None:
    engine = make_engine(db_url)
    event_id = uuid.uuid4()
    try:
        with Session(engine) as session, session.begin():
            assert repo.insert_entries(session=session, records=[full_entry(event_id)]) == {
                event_id
            }
        with Session(engine) as session:
            row = session.scalars(select(EntryRow)).one()
    finally:
        engine.dispose()
    wanted = full_entry(event_id)
    assert row.event_id == str(event_id)
    assert (row.ts, row.received_at, row.decided_at) == (wanted.ts, wanted.received_at, BEIJING)
    assert row.decided_at.tzinfo is not None
    assert row.celsius == Decimal("37.35")
    assert row.reasons == "fever,no_mask"
    assert row.recheck_of == str(uuid.UUID(int=7))
    assert (row.local_decision, row.case_id, row.sensor, row.kind, row.grant_id) == (
        "admit", "C-1", "ir-0", "student", None,
    )  # fmt: skip
    assert row.passage_json == wanted.passage_json


def test_a_large_batch_goes_in_chunks_and_duplicates_are_not_inserted(db_url: str) -> None:
    engine = make_engine(db_url)
    ids = [uuid.uuid4() for _ in range(CHUNK * 2 + 3)]
    try:
        with Session(engine) as session, session.begin():
            first = repo.insert_entries(session=session, records=[full_entry(e) for e in ids[:7]])
        with Session(engine) as session, session.begin():
            rest = repo.insert_entries(session=session, records=[full_entry(e) for e in ids])
            stored = repo.stored_decisions(session=session, event_ids=ids)
    finally:
        engine.dispose()
    assert first == set(ids[:7])
    assert rest == set(ids[7:])
    assert set(stored) == set(ids)
    assert set(stored.values()) == {'{"decision": "isolate"}'}


def test_persons_are_read_as_the_orm_stored_them_with_their_open_case(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.add_all([
                person("S1", gates="north-1;south-2", household="H9",
                       valid_from=NOW - timedelta(days=1), valid_until=BEIJING),
                person("S2", active=False, return_approved=False, id_last4="9"),
                *[person(f"B{i:04d}") for i in range(CHUNK + 10)],
            ])  # fmt: skip
            session.add_all([
                IsolationCaseRow(case_id="C-old", event_id=str(uuid.uuid4()), site="main",
                                 gate="north-1", person_id="S1", status="open",
                                 opened_at=NOW - timedelta(hours=2)),
                IsolationCaseRow(case_id="C-new", event_id=str(uuid.uuid4()), site="main",
                                 gate="north-1", person_id="S1", status="acknowledged",
                                 opened_at=NOW - timedelta(hours=1)),
                IsolationCaseRow(case_id="C-closed", event_id=str(uuid.uuid4()), site="main",
                                 gate="north-1", person_id="S2", status="released",
                                 opened_at=NOW, confirmed_at=NOW),
                # Observation, referral, suspicion: still isolating (only a release ends it).
                IsolationCaseRow(case_id="C-obs", event_id=None, site="main", gate="",
                                 person_id="B0001", status="observation", opened_at=NOW),
            ])  # fmt: skip
        with Session(engine) as session, session.begin():
            wanted = {"S1", "S2", "nobody", *(f"B{i:04d}" for i in range(CHUNK + 10))}
            found = repo.persons_by_id(session=session, person_ids=wanted)
            by_hash = repo.persons_by_id_hash(session=session, id_hashes={"hash-S2", "hash-x"})
    finally:
        engine.dispose()
    assert len(found) == CHUNK + 12
    s1, s2 = found["S1"], found["S2"]
    assert s1.gates == frozenset({"north-1", "south-2"})
    assert (s1.household, s1.open_case_id, s1.masked_id) == ("H9", "C-new", "**************123X")
    assert s1.valid_from == NOW - timedelta(days=1)
    assert s1.valid_until == BEIJING
    assert s1.valid_until.tzinfo is not None
    assert (s1.active, s1.return_approved) == (True, True)
    assert (s2.active, s2.return_approved, s2.open_case_id) == (False, False, None)
    assert (s2.suspended, s1.suspended) == (True, False)  # confirmed, released, not returned
    assert found["B0001"].open_case_id == "C-obs"
    assert s2.masked_id == "*" * 17 + "9"
    assert found["B0000"].gates is None
    assert list(by_hash) == ["hash-S2"]
    assert by_hash["hash-S2"] == s2


def test_locked_gates_and_used_codes(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.add_all([
                GateStateRow(site="main", gate="north-1", locked=True, updated_at=NOW),
                GateStateRow(site="main", gate="north-2", locked=False, updated_at=NOW),
                GateStateRow(site="other", gate="south-1", locked=True, updated_at=NOW),
            ])  # fmt: skip
            marked = repo.mark_codes_used(
                session=session, rows=[("jti-1", uuid.uuid4(), "main", "north-1", NOW)]
            )
        with Session(engine) as session, session.begin():
            locked = repo.locked_gates(session=session, site="main")
            used = repo.used_jtis(session=session, jtis={"jti-1", "jti-2", "it's; -- hostile"})
            nothing = repo.used_jtis(session=session, jtis=set())
    finally:
        engine.dispose()
    assert marked == {"jti-1"}
    assert locked == {"north-1"}
    assert used == {"jti-1"}
    assert nothing == set()


def test_stored_values_are_byte_for_byte_those_the_orm_stores(db_url: str) -> None:
    """Reports compare and sort stored times as stored: both writers must agree exactly."""
    engine = make_engine(db_url)
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    record = full_entry(ours)
    try:
        with Session(engine) as session, session.begin():
            repo.insert_entries(session=session, records=[record])
            session.add(
                EntryRow(
                    event_id=str(theirs), site=record.site, gate=record.gate,
                    direction=record.direction, ts=record.ts, received_at=record.received_at,
                    decided_at=record.decided_at, person_id=record.person_id,
                    decision=record.decision, reasons=",".join(record.reasons),
                    celsius=record.celsius, policy_version=record.policy_version,
                    local_decision=record.local_decision, recheck_of=str(record.recheck_of),
                    case_id=record.case_id, passage_json=record.passage_json,
                    decision_json=record.decision_json, sensor=record.sensor,
                    kind=record.kind, grant_id=record.grant_id,
                )
            )  # fmt: skip
        with engine.connect() as conn:
            raw = conn.exec_driver_sql(
                "SELECT event_id, ts, received_at, decided_at, celsius, recheck_of FROM entries"
            ).all()
    finally:
        engine.dispose()
    by_event = {row[0]: tuple(row[1:]) for row in raw}
    assert by_event[str(ours)] == by_event[str(theirs)]


def test_persons_and_locked_gates_together_equal_the_two_lookups(db_url: str) -> None:
    """On PostgreSQL the two go out in one pipeline; the answers must not change."""
    engine = make_engine(db_url)
    many = {f"B{i:04d}" for i in range(CHUNK + 1)}  # too many for one statement: one by one
    try:
        with Session(engine) as session, session.begin():
            session.add_all([person("S1"), person("S2", gates="east-1"), person("B0000")])
            session.add(GateStateRow(site="main", gate="north-1", locked=True, updated_at=NOW))
        for wanted in ({"S1", "S2", "nobody"}, set(), many):
            with Session(engine) as session, session.begin():
                together = repo.persons_and_locked_gates(
                    session=session, person_ids=wanted, site="main"
                )
                apart = (
                    repo.persons_by_id(session=session, person_ids=wanted),
                    repo.locked_gates(session=session, site="main"),
                )
                # The transaction goes on normally after the pipeline.
                repo.insert_entries(session=session, records=[full_entry(uuid.uuid4())])
            assert together == apart
            assert together[1] == {"north-1"}
    finally:
        engine.dispose()
