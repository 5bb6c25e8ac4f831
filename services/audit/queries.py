"""Audit queries: who entered when and why, and who was near them.

Every query is itself written to the audit log (who asked, what, when, how
many rows) in the caller's transaction: the caller commits it with the answer.
Names and numbers are masked by the asker's role.  Pure functions over a
session, returning pydantic models, so a page can call them as the CLI does.
"""

from __future__ import annotations

from bisect import bisect_left
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
DEFAULT_TRACE_DAYS = 14
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


def _check_span(since: datetime, until: datetime) -> None:
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


def _history_select() -> Any:
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
    _check_span(since, until)
    column = ENTRIES.c.grant_id if person_id[:2] in ("A-", "P-") else ENTRIES.c.person_id
    query = (
        _history_select()
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
    _check_span(since, until)
    query = _history_select().where(
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
    _check_span(since, until)
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


# --- contact tracing --------------------------------------------------------------------------


class Contact(BaseModel):
    """Someone who passed a gate within the window of one of the case's passages."""

    model_config = ConfigDict(frozen=True)

    who: str  # person id, appointment/pass id, or "unidentified <event id>"
    name: str | None
    kind: str | None
    encounters: int
    closest_seconds: float
    gates: list[str]
    first: datetime
    last: datetime


class TraceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str | None
    since: datetime
    until: datetime
    window_minutes: float
    passages: list[EntryView]
    contacts: list[Contact]


def _closest(times: list[datetime], at: datetime) -> float:
    """Seconds from ``at`` to the nearest of the sorted ``times``."""
    index = bisect_left(times, at)
    return min(
        abs((times[i] - at).total_seconds()) for i in (index - 1, index) if 0 <= i < len(times)
    )


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def trace_contacts(
    *,
    session: Session,
    person_id: str,
    window: timedelta,
    actor: str,
    role: Role | str,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TraceReport:
    """Who passed the same gates within ``window`` of the person's passages (gate logs only).

    Default span: the 14 days up to ``until`` (default: now), the usual
    incubation look-back.  Contacts are ordered by how close they came.
    """
    until = until or now
    since = since or until - timedelta(days=DEFAULT_TRACE_DAYS)
    _check_span(since, until)
    if window <= timedelta(0) or window > timedelta(days=1):
        raise ConfigError("the trace window must be between 1 second and 1 day")
    masker = Masker(role)
    column = ENTRIES.c.grant_id if person_id[:2] in ("A-", "P-") else ENTRIES.c.person_id
    connection = session.connection()
    own = list(
        connection.execute(
            _history_select()
            .where(column == person_id, ENTRIES.c.ts >= since, ENTRIES.c.ts < until)
            .order_by(ENTRIES.c.ts)
        )
    )
    own_ids = {r.id for r in own}
    by_gate: dict[tuple[str, str], list[datetime]] = {}
    for row in own:
        by_gate.setdefault((row.site, row.gate), []).append(row.ts)
    for times in by_gate.values():
        times.sort()
    found: dict[int, Any] = {}
    c = ENTRIES.c
    near = select(c.id, c.event_id, c.ts, c.site, c.gate, c.person_id, c.grant_id, c.kind)
    for (site, gate), times in by_gate.items():
        for start, end in _merged([(t - window, t + window) for t in times]):
            query = near.where(
                ENTRIES.c.site == site,
                ENTRIES.c.gate == gate,
                ENTRIES.c.ts >= start,
                ENTRIES.c.ts <= end,
            )
            for row in connection.execute(query):
                if row.id not in own_ids and (row.person_id or row.grant_id) != person_id:
                    found[row.id] = row
    groups: dict[str, list[tuple[Any, float]]] = {}
    for row in found.values():
        gap = _closest(by_gate[row.site, row.gate], row.ts)
        key = row.person_id or row.grant_id or f"unidentified {row.event_id}"
        groups.setdefault(key, []).append((row, gap))
    names = names_of(
        session,
        {r.person_id for r in found.values() if r.person_id} | ({person_id} if own else set()),
        {r.grant_id for r in found.values() if r.grant_id}
        | ({person_id} if person_id[:2] in ("A-", "P-") else set()),
    )
    contacts = [
        Contact(
            who=key if key.startswith("unidentified") else (masker.person_id(key) or key),
            name=masker.name(names.get(key)),
            kind=items[0][0].kind,
            encounters=len(items),
            closest_seconds=min(gap for _row, gap in items),
            gates=sorted({row.gate for row, _gap in items}),
            first=min(row.ts for row, _gap in items),
            last=max(row.ts for row, _gap in items),
        )
        for key, items in groups.items()
    ]
    contacts.sort(key=lambda c: (c.closest_seconds, c.who))
    report = TraceReport(
        person_id=person_id,
        name=masker.name(names.get(person_id)),
        since=since,
        until=until,
        window_minutes=window.total_seconds() / 60,
        passages=views(session, own, masker),
        contacts=contacts,
    )
    log_action(
        session,
        at=now,
        actor=actor,
        role=str(role),
        action="audit.trace",
        target=person_id,
        count=len(contacts),
        params={"since": since, "until": until, "window_s": window.total_seconds()},
    )
    return report
