"""Repository functions of the backbone; each takes the session as a keyword argument.

The hot path (entries, cases, used codes) uses Core bulk statements with
``ON CONFLICT DO NOTHING ... RETURNING`` so a batch is a handful of statements
and idempotency is enforced by the database itself, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.decision.facts import PersonFacts
from services.storage.models import (
    EntryRow,
    GateStateRow,
    IsolationCaseRow,
    PersonRow,
    RejectedMessageRow,
    UsedCodeRow,
)
from services.storage.records import CaseRecord, EntryRecord

MAX_REJECTED_PAYLOAD = 64 * 1024
ID_NUMBER_WIDTH = 18
# SQLite allows 32766 bound parameters; keep IN lists well below.
CHUNK = 500


def _insert(session: Session, model: type[Any]) -> Any:
    # Core insert on the table (not the ORM entity): the statement is compiled
    # once and cached, and a list of rows goes out as one multi-row statement.
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def stored_decisions(*, session: Session, event_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    for chunk in _chunks([str(e) for e in event_ids]):
        table = EntryRow.__table__.c
        rows = session.connection().execute(
            select(table.event_id, table.decision_json).where(table.event_id.in_(chunk))
        )
        found.update({uuid.UUID(event_id): text for event_id, text in rows})
    return found


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


def insert_entries(*, session: Session, records: Sequence[EntryRecord]) -> set[uuid.UUID]:
    """Insert entries; returns the event_ids actually inserted (not already there)."""
    if not records:
        return set()
    values = [
        {
            "event_id": str(r.event_id),
            "site": r.site,
            "gate": r.gate,
            "direction": r.direction,
            "ts": r.ts,
            "received_at": r.received_at,
            "decided_at": r.decided_at,
            "person_id": r.person_id,
            "decision": r.decision,
            "reasons": ",".join(r.reasons),
            "celsius": r.celsius,
            "policy_version": r.policy_version,
            "local_decision": r.local_decision,
            "recheck_of": str(r.recheck_of) if r.recheck_of else None,
            "case_id": r.case_id,
            "passage_json": r.passage_json,
            "decision_json": r.decision_json,
            "sensor": r.sensor,
            "kind": r.kind,
            "grant_id": r.grant_id,
        }
        for r in records
    ]
    table = EntryRow.__table__
    statement = (
        _insert(session, EntryRow)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    result = session.connection().execute(statement, values)
    return {uuid.UUID(e) for e in result.scalars()}


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
    found: set[str] = set()
    for chunk in _chunks(list(jtis)):
        found.update(session.scalars(select(UsedCodeRow.jti).where(UsedCodeRow.jti.in_(chunk))))
    return found


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


def mask_id(last4: str) -> str:
    return "*" * (ID_NUMBER_WIDTH - len(last4)) + last4


def _facts(row: Any, open_case: str | None) -> PersonFacts:
    # ``row`` is a Core row of the persons table (faster than ORM objects on the hot path).
    gates = None if row.gates.strip() == "*" else frozenset(g for g in row.gates.split(";") if g)
    return PersonFacts(
        person_id=row.person_id,
        name=row.name,
        kind=row.kind,
        masked_id=mask_id(row.id_last4),
        active=row.active,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        gates=gates,
        return_approved=row.return_approved,
        household=row.household,
        open_case_id=open_case,
    )


def _persons_where(
    session: Session, column: str, values: Collection[str]
) -> dict[str, PersonFacts]:
    """PersonFacts keyed by ``column`` (person_id or id_hash) for the given values.

    One statement: each person's newest open isolation case comes along as a
    correlated sub-select (indexed on person_id), not as a second round trip.
    """
    persons = PersonRow.__table__
    cases = IsolationCaseRow.__table__
    open_case = (
        select(cases.c.case_id)
        .where(cases.c.person_id == persons.c.person_id, cases.c.status != "closed")
        .order_by(cases.c.opened_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("open_case_id")
    )
    found: dict[str, PersonFacts] = {}
    for chunk in _chunks(list(values)):
        query = select(persons, open_case).where(persons.c[column].in_(chunk))
        for row in session.connection().execute(query):
            found[getattr(row, column)] = _facts(row, row.open_case_id)
    return found


def persons_by_id(*, session: Session, person_ids: Collection[str]) -> dict[str, PersonFacts]:
    return _persons_where(session, "person_id", person_ids)


def persons_by_id_hash(*, session: Session, id_hashes: Collection[str]) -> dict[str, PersonFacts]:
    return _persons_where(session, "id_hash", id_hashes)


def locked_gates(*, session: Session, site: str) -> set[str]:
    table = GateStateRow.__table__.c
    query = select(table.gate).where(table.site == site, table.locked)
    return set(session.connection().execute(query).scalars())


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
