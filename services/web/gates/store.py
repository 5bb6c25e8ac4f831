"""Queries about gates: counts, recent passages, the command log. Session as keyword."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.storage.models import EntryRow, GateCommandRow, GateStateRow

RECENT_GATES_SCAN = 5000


@dataclass(frozen=True, slots=True)
class StoredEntry:
    event_id: str
    gate: str
    decision: str
    passage_json: str
    decision_json: str
    received_at: datetime  # by the central service: the gate's own timestamp is its claim


@dataclass(frozen=True, slots=True)
class CommandLog:
    command_id: str
    gate: str
    command: str
    issued_by: str
    reason: str
    override_of: str | None
    at: datetime


def gates_in_db(*, session: Session, site: str) -> set[str]:
    """Gates with a lock state, a command, or among the newest entries."""
    found = set(session.scalars(select(GateStateRow.gate).where(GateStateRow.site == site)))
    found.update(
        session.scalars(select(GateCommandRow.gate).where(GateCommandRow.site == site).distinct())
    )
    newest = (
        select(EntryRow.gate, EntryRow.site).order_by(EntryRow.id.desc()).limit(RECENT_GATES_SCAN)
    ).subquery()
    found.update(session.scalars(select(newest.c.gate).where(newest.c.site == site).distinct()))
    return found


def locked_gates(*, session: Session, site: str) -> dict[str, tuple[datetime, str]]:
    rows = session.execute(
        select(GateStateRow.gate, GateStateRow.updated_at, GateStateRow.updated_by).where(
            GateStateRow.site == site, GateStateRow.locked
        )
    )
    return {gate: (at, by) for gate, at, by in rows}


def counts(
    *, session: Session, site: str, gates: Collection[str], today: datetime, hour: datetime
) -> dict[str, tuple[int, int]]:
    """Passages per gate since ``today`` and since ``hour`` (uses the site/gate/ts index)."""
    if not gates:
        return {}
    rows = session.execute(
        select(
            EntryRow.gate,
            func.count(),
            func.sum(case((EntryRow.ts >= hour, 1), else_=0)),
        )
        .where(EntryRow.site == site, EntryRow.gate.in_(list(gates)), EntryRow.ts >= today)
        .group_by(EntryRow.gate)
    )
    return {gate: (int(total), int(recent or 0)) for gate, total, recent in rows}


def _entries(rows: Collection[EntryRow]) -> list[StoredEntry]:
    return [
        StoredEntry(r.event_id, r.gate, r.decision, r.passage_json, r.decision_json, r.received_at)
        for r in rows
    ]


def recent_entries(
    *, session: Session, site: str, gate: str | None, limit: int, denials_only: bool = False
) -> list[StoredEntry]:
    query = select(EntryRow).where(EntryRow.site == site)
    if gate is not None:
        query = query.where(EntryRow.gate == gate).order_by(EntryRow.ts.desc())
    else:
        query = query.order_by(EntryRow.id.desc())
    if denials_only:
        query = query.where(EntryRow.decision.in_(("deny", "isolate")))
    return _entries(list(session.scalars(query.limit(limit))))


def entry(*, session: Session, site: str, event_id: uuid.UUID) -> StoredEntry | None:
    row = session.scalar(
        select(EntryRow).where(EntryRow.event_id == str(event_id), EntryRow.site == site)
    )
    return None if row is None else _entries([row])[0]


def insert_command(*, session: Session, log: CommandLog, site: str) -> None:
    session.add(
        GateCommandRow(
            command_id=log.command_id,
            site=site,
            gate=log.gate,
            command=log.command,
            issued_by=log.issued_by,
            reason=log.reason,
            override_of=log.override_of,
            at=log.at,
        )
    )


def recent_commands(
    *, session: Session, site: str, gates: Collection[str] | None, limit: int
) -> list[CommandLog]:
    query = select(GateCommandRow).where(GateCommandRow.site == site)
    if gates is not None:
        query = query.where(GateCommandRow.gate.in_(list(gates)))
    rows = session.scalars(query.order_by(GateCommandRow.id.desc()).limit(limit))
    return [
        CommandLog(r.command_id, r.gate, r.command, r.issued_by, r.reason, r.override_of, r.at)
        for r in rows
    ]
