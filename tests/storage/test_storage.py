"""Storage on SQLite and PostgreSQL: migrations match the models, writes are idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.models import Base
from services.storage.records import CaseRecord, EntryRecord

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def entry(event_id: uuid.UUID, decision: str = "admit") -> EntryRecord:
    return EntryRecord(
        event_id=event_id,
        site="main",
        gate="north-1",
        direction="in",
        ts=NOW,
        received_at=NOW,
        decided_at=NOW,
        person_id="S00001",
        decision=decision,
        reasons=("fever",) if decision == "isolate" else (),
        celsius=Decimal("37.30"),
        policy_version=1,
        local_decision=None,
        recheck_of=None,
        case_id=None,
        passage_json="{}",
        decision_json=f'{{"decision":"{decision}"}}',
    )


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_entries_are_idempotent_on_event_id(db_url: str) -> None:
    engine = make_engine(db_url)
    a, b = uuid.uuid4(), uuid.uuid4()
    try:
        with Session(engine) as session, session.begin():
            assert repo.insert_entries(session=session, records=[entry(a)]) == {a}
        with Session(engine) as session, session.begin():
            inserted = repo.insert_entries(session=session, records=[entry(a, "deny"), entry(b)])
            assert inserted == {b}
        with Session(engine) as session:
            assert repo.count_entries(session=session) == 2
            stored = repo.stored_decisions(session=session, event_ids=[a, b, uuid.uuid4()])
            assert stored[a] == '{"decision":"admit"}'  # the first answer stands
            assert set(stored) == {a, b}
    finally:
        engine.dispose()


def test_cases_codes_gates_and_rejections(db_url: str) -> None:
    engine = make_engine(db_url)
    event = uuid.uuid4()
    try:
        with Session(engine) as session, session.begin():
            repo.insert_entries(session=session, records=[entry(event, "isolate")])
            case = CaseRecord(
                case_id="C-1",
                event_id=event,
                site="main",
                gate="north-1",
                person_id="S00001",
                celsius=Decimal("38.1"),
                opened_at=NOW,
            )
            repo.open_cases(session=session, cases=[case])
            repo.open_cases(session=session, cases=[case])  # a retry adds nothing
            rows = [("j1", event, "main", "north-1", NOW)]
            assert repo.mark_codes_used(session=session, rows=rows) == {"j1"}
            assert repo.mark_codes_used(session=session, rows=rows) == set()
            repo.set_gate_locked(
                session=session, site="main", gate="north-1", locked=True, by="security", at=NOW
            )
            repo.record_rejected(
                session=session,
                topic="t",
                payload=b"\xff" * 70_000,
                reason="garbage",
                received_at=NOW,
            )
        with Session(engine) as session, session.begin():
            assert repo.used_jtis(session=session, jtis=["j1", "j2"]) == {"j1"}
            assert repo.locked_gates(session=session, site="main") == {"north-1"}
            repo.set_gate_locked(
                session=session, site="main", gate="north-1", locked=False, by="security", at=NOW
            )
        with Session(engine) as session:
            assert repo.locked_gates(session=session, site="main") == set()
            assert repo.count_rejected(session=session) == 1
    finally:
        engine.dispose()
