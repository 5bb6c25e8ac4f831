"""Audit queries: who entered when and why (contact tracing is in :mod:`.trace`).

Every query is itself written to the audit log (who asked, what, when, how
many rows) in the caller's transaction: the caller commits it with the answer.
Names and numbers are masked by the asker's role.  Pure functions over a
session, returning pydantic models, so a page can call them as the CLI does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from kernel.masking import Masker, Role
from services.storage.audit_log import log_action
from services.storage.models import (
    AppointmentRow,
    AuditLogRow,
    EntryRow,
    PersonRow,
    TempPassRow,
)

ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
PERSONS: Table = PersonRow.__table__  # type: ignore[assignment]
APPOINTMENTS: Table = AppointmentRow.__table__  # type: ignore[assignment]
PASSES: Table = TempPassRow.__table__  # type: ignore[assignment]
CHUNK = 500
MAX_SPAN = timedelta(days=366)
# The columns a history shows: never the payloads (parsing them per row is the slow part).
HISTORY_COLUMNS = (
    "id",
    "event_id",
    "ts",
    "site",
    "gate",
    "direction",
    "decision",
    "reasons",
    "celsius",
    "person_id",
    "kind",
    "grant_id",
    "case_id",
    "policy_version",
    "sensor",
)


@dataclass(frozen=True, slots=True)
class EntryView:
    """One logged passage as an audit shows it.

    A plain dataclass (pydantic serialises it like a model): a history of a
    hundred rows is built in a fraction of a millisecond.
    """

    entry_id: int
    event_id: str
    ts: datetime
    site: str
    gate: str
    direction: str
    decision: str
    reasons: list[str]
    celsius: Decimal | None
    person_id: str | None
    name: str | None
    kind: str | None
    grant_id: str | None
    case_id: str | None
    policy_version: int
    sensor: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_span(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise ConfigError("audit times need a time zone")
    if until <= since:
        raise ConfigError("--until must be after --since")
    if until - since > MAX_SPAN:
        raise ConfigError("an audit query spans at most a year; split it")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def names_of(
    session: Session, person_ids: Collection[str], grant_ids: Collection[str]
) -> dict[str, str]:
    """Display names of persons (by person id) and of visitors/pass holders (by grant id)."""
    names: dict[str, str] = {}
    connection = session.connection()
    for chunk in _chunks(sorted(person_ids)):
        query = select(PERSONS.c.person_id, PERSONS.c.name).where(PERSONS.c.person_id.in_(chunk))
        for key, name in connection.execute(query):
            names[key] = name
    grants = sorted(grant_ids)
    for table, key_col, name_col in (
        (APPOINTMENTS, "appointment_id", "visitor_name"),
        (PASSES, "pass_id", "holder_name"),
    ):
        wanted = [g for g in grants if g.startswith("A-" if table is APPOINTMENTS else "P-")]
        for chunk in _chunks(wanted):
            query = select(table.c[key_col], table.c[name_col]).where(table.c[key_col].in_(chunk))
            for key, name in connection.execute(query):
                names[key] = name
    return names


def views(session: Session, rows: list[Any], masker: Masker) -> list[EntryView]:
    names = names_of(
        session,
        {r.person_id for r in rows if r.person_id},
        {r.grant_id for r in rows if r.grant_id},
    )
    return [view(r, names, masker) for r in rows]


def view(row: Any, names: dict[str, str], masker: Masker) -> EntryView:
    """An entry row as shown; built without re-validating what the database returned."""
    key = row.person_id or row.grant_id
    return EntryView(
        entry_id=row.id,
        event_id=row.event_id,
        ts=row.ts,
        site=row.site,
        gate=row.gate,
        direction=row.direction,
        decision=row.decision,
        reasons=[r for r in row.reasons.split(",") if r],
        celsius=row.celsius,
        person_id=masker.person_id(row.person_id),
        name=masker.name(names.get(key)) if key else None,
        kind=row.kind,
        grant_id=row.grant_id,
        case_id=row.case_id,
        policy_version=row.policy_version,
        sensor=row.sensor,
    )


def history_select() -> Any:
    return select(*(ENTRIES.c[c] for c in HISTORY_COLUMNS))


def person_history(
    *,
    session: Session,
    person_id: str,
    since: datetime,
    until: datetime,
    actor: str,
    role: Role | str,
    now: datetime,
) -> list[EntryView]:
    """Every passage of one person (or appointment / pass id) in [since, until), oldest first."""
    check_span(since, until)
    column = ENTRIES.c.grant_id if person_id[:2] in ("A-", "P-") else ENTRIES.c.person_id
    query = (
        history_select()
        .where(column == person_id, ENTRIES.c.ts >= since, ENTRIES.c.ts < until)
        .order_by(ENTRIES.c.ts)
    )
    rows = list(session.connection().execute(query))
    result = views(session, rows, Masker(role))
    log_action(
        session,
        at=now,
        actor=actor,
        role=str(role),
        action="audit.person",
        target=person_id,
        count=len(result),
        params={"since": since, "until": until},
    )
    return result


def gate_history(
    *,
    session: Session,
    site: str,
    gate: str,
    since: datetime,
    until: datetime,
    actor: str,
    role: Role | str,
    now: datetime,
    decisions: Collection[str] | None = None,
    limit: int = 100_000,
) -> list[EntryView]:
    """Every passage at one gate in [since, until), oldest first."""
    check_span(since, until)
    query = history_select().where(
        ENTRIES.c.site == site, ENTRIES.c.gate == gate, ENTRIES.c.ts >= since, ENTRIES.c.ts < until
    )
    if decisions:
        query = query.where(ENTRIES.c.decision.in_(list(decisions)))
    rows = list(session.connection().execute(query.order_by(ENTRIES.c.ts).limit(limit)))
    result = views(session, rows, Masker(role))
    log_action(
        session,
        at=now,
        actor=actor,
        role=str(role),
        action="audit.gate",
        target=f"{site}/{gate}",
        count=len(result),
        params={"since": since, "until": until, "decisions": sorted(decisions or [])},
    )
    return result


# --- the audit log itself -------------------------------------------------------------------


class AuditLogView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    params: str
    result_count: int | None


def read_audit_log(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    actor: str,
    role: Role | str,
    now: datetime,
    who: str | None = None,
    action_prefix: str | None = None,
) -> list[AuditLogView]:
    """The audit log in [since, until): reading it is itself logged."""
    check_span(since, until)
    query = (
        select(AuditLogRow)
        .where(AuditLogRow.at >= since, AuditLogRow.at < until)
        .order_by(AuditLogRow.id)
    )
    if who:
        query = query.where(AuditLogRow.actor == who)
    if action_prefix:
        query = query.where(AuditLogRow.action.startswith(action_prefix))
    result = [
        AuditLogView(
            id=r.id,
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            target=r.target,
            params=r.params_json,
            result_count=r.result_count,
        )
        for r in session.scalars(query)
    ]
    log_action(
        session,
        at=now,
        actor=actor,
        role=str(role),
        action="audit.log",
        target=who or "",
        count=len(result),
        params={"since": since, "until": until, "action": action_prefix},
    )
    return result
