"""Repository functions of the backbone; each takes the session as a keyword argument.

The statements of every batch (persons, locked gates, used codes, entries)
run as prepared text on the driver's cursor (services.storage.hotpath); the
rarer writes (cases, used codes, local decisions) are Core bulk statements.
Inserts are ``ON CONFLICT DO NOTHING ... RETURNING``, so idempotency is
enforced by the database itself, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import closing
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kernel.decision.facts import PersonFacts
from services.storage.hotpath import hot_path
from services.storage.models import (
    EntryRow,
    GateCommandRow,
    GateStateRow,
    HouseholdExitRow,
    IsolationCaseRow,
    RejectedMessageRow,
    TempPassRow,
    UsedCodeRow,
)
from services.storage.records import CaseRecord, EntryRecord, ExitRecord

MAX_REJECTED_PAYLOAD = 64 * 1024


def _insert(session: Session, model: type[Any]) -> Any:
    # Core insert on the table (not the ORM entity): the statement is compiled
    # once and cached, and a list of rows goes out as one multi-row statement.
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def stored_decisions(*, session: Session, event_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.stored_decisions(cursor, event_ids)


def record_local_decisions(*, session: Session, decided: Sequence[tuple[uuid.UUID, str]]) -> int:
    """Add a gate's offline decision to entries logged before it arrived (audit)."""
    statement = (
        update(EntryRow)
        .where(EntryRow.event_id == bindparam("eid"), EntryRow.local_decision.is_(None))
        .values(local_decision=bindparam("local"))
        .execution_options(synchronize_session=False)
    )
    values = [{"eid": str(event_id), "local": local} for event_id, local in decided]
    return session.connection().execute(statement, values).rowcount or 0


def record_overrides(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Guards' overrides made at a gate's own kiosk, as the command log keeps the central
    kiosk's: one row per passage (``command_id`` is its event id, so once only)."""
    if rows:
        statement = _insert(session, GateCommandRow).on_conflict_do_nothing(
            index_elements=["command_id"]
        )
        session.execute(statement, list(rows))


def insert_entries(*, session: Session, records: Sequence[EntryRecord]) -> set[uuid.UUID]:
    """Insert entries; returns the event_ids actually inserted (not already there)."""
    if not records:
        return set()
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.insert_entries(cursor, records)


def open_cases(*, session: Session, cases: Sequence[CaseRecord]) -> None:
    if not cases:
        return
    values = [
        {
            "case_id": c.case_id,
            "event_id": str(c.event_id),
            "site": c.site,
            "gate": c.gate,
            "person_id": c.person_id,
            "celsius": c.celsius,
            "status": "open",
            "opened_at": c.opened_at,
        }
        for c in cases
    ]
    session.execute(
        _insert(session, IsolationCaseRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def record_rejected(
    *, session: Session, topic: str, payload: bytes, reason: str, received_at: datetime
) -> None:
    session.add(
        RejectedMessageRow(
            topic=topic[:1024],
            payload=payload[:MAX_REJECTED_PAYLOAD],
            reason=reason,
            received_at=received_at,
        )
    )


def used_jtis(*, session: Session, jtis: Collection[str]) -> set[str]:
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.used_jtis(cursor, jtis)


def mark_codes_used(
    *, session: Session, rows: Sequence[tuple[str, uuid.UUID, str, str, datetime]]
) -> set[str]:
    """Mark one-time codes spent; returns the jtis newly marked by this call."""
    if not rows:
        return set()
    values = [
        {"jti": jti, "event_id": str(event_id), "site": site, "gate": gate, "used_at": used_at}
        for jti, event_id, site, gate, used_at in rows
    ]
    statement = (
        _insert(session, UsedCodeRow)
        .on_conflict_do_nothing(index_elements=["jti"])
        .returning(UsedCodeRow.__table__.c.jti)
    )
    return set(session.connection().execute(statement, values).scalars())


def record_exits(*, session: Session, exits: Sequence[ExitRecord]) -> None:
    """Log admitted household exits (a redelivered passage's exit is there already)."""
    if not exits:
        return
    rows = [
        {"event_id": e.event_id, "site": e.site, "household": e.household,
         "person_id": e.person_id, "gate": e.gate, "exited_at": e.exited_at}
        for e in exits
    ]  # fmt: skip
    statement = _insert(session, HouseholdExitRow).on_conflict_do_nothing(
        index_elements=["event_id"]
    )
    session.connection().execute(statement, rows)


def add_pass_uses(*, session: Session, uses: Mapping[str, int]) -> None:
    """Count admitted entries against their passes (one executemany)."""
    if not uses:
        return
    statement = (
        update(TempPassRow)
        .where(TempPassRow.pass_id == bindparam("b_pass_id"))
        .values(uses=TempPassRow.uses + bindparam("b_n"))
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(
        statement, [{"b_pass_id": pass_id, "b_n": n} for pass_id, n in uses.items()]
    )


def persons_by_id(*, session: Session, person_ids: Collection[str]) -> dict[str, PersonFacts]:
    """PersonFacts by person_id, each with its newest open isolation case if any."""
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.persons(cursor, "person_id", person_ids)


def persons_by_id_hash(*, session: Session, id_hashes: Collection[str]) -> dict[str, PersonFacts]:
    """PersonFacts by the keyed hash of the ID card number."""
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.persons(cursor, "id_hash", id_hashes)


def persons_and_locked_gates(
    *, session: Session, person_ids: Collection[str], site: str
) -> tuple[dict[str, PersonFacts], set[str]]:
    """persons_by_id and locked_gates together (one round trip on PostgreSQL)."""
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.persons_and_locked_gates(cursor, person_ids, site)


def locked_gates(*, session: Session, site: str) -> set[str]:
    statements, cursor = hot_path(session)
    with closing(cursor):
        return statements.locked_gates(cursor, site)


def set_gate_locked(
    *, session: Session, site: str, gate: str, locked: bool, by: str, at: datetime
) -> None:
    statement = _insert(session, GateStateRow).values(
        site=site, gate=gate, locked=locked, updated_at=at, updated_by=by
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["site", "gate"],
            set_={"locked": locked, "updated_at": at, "updated_by": by},
        )
    )


def count_entries(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EntryRow)) or 0


def count_rejected(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RejectedMessageRow)) or 0


def decisions_by_event(*, session: Session) -> dict[uuid.UUID, str]:
    rows = session.execute(select(EntryRow.event_id, EntryRow.decision))
    return {uuid.UUID(event_id): decision for event_id, decision in rows}
