"""Contact tracing from the gate logs: who passed the same gates as a case, and how close.

Like every audit query it is written to the audit log in the caller's transaction,
and names are masked by the asker's role.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from kernel.masking import Masker, Role
from services.audit.queries import (
    ENTRIES,
    EntryView,
    check_span,
    history_select,
    names_of,
    views,
)
from services.storage.audit_log import log_action

DEFAULT_TRACE_DAYS = 14  # the usual incubation look-back


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


def _times_by_gate(own: list[Any]) -> dict[tuple[str, str], list[datetime]]:
    """The person's passage times at each (site, gate), sorted."""
    by_gate: dict[tuple[str, str], list[datetime]] = {}
    for row in own:
        by_gate.setdefault((row.site, row.gate), []).append(row.ts)
    for times in by_gate.values():
        times.sort()
    return by_gate


def _passed_near(
    connection: Connection,
    by_gate: dict[tuple[str, str], list[datetime]],
    window: timedelta,
    own_ids: set[int],
    person_id: str,
) -> dict[int, Any]:
    """Other people's entries at the same gates within ``window`` of the person's, by row id."""
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
    return found


def _contacts(
    found: dict[int, Any],
    by_gate: dict[tuple[str, str], list[datetime]],
    names: dict[str, str],
    masker: Masker,
) -> list[Contact]:
    """One contact per person met (unidentified ones each alone), the closest first."""
    groups: dict[str, list[tuple[Any, float]]] = {}
    for row in found.values():
        gap = _closest(by_gate[row.site, row.gate], row.ts)
        key = row.person_id or row.grant_id or f"unidentified {row.event_id}"
        groups.setdefault(key, []).append((row, gap))
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
    return contacts


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
    check_span(since, until)
    if window <= timedelta(0) or window > timedelta(days=1):
        raise ConfigError("the trace window must be between 1 second and 1 day")
    masker = Masker(role)
    column = ENTRIES.c.grant_id if person_id[:2] in ("A-", "P-") else ENTRIES.c.person_id
    connection = session.connection()
    own = list(
        connection.execute(
            history_select()
            .where(column == person_id, ENTRIES.c.ts >= since, ENTRIES.c.ts < until)
            .order_by(ENTRIES.c.ts)
        )
    )
    by_gate = _times_by_gate(own)
    found = _passed_near(connection, by_gate, window, {r.id for r in own}, person_id)
    names = names_of(
        session,
        {r.person_id for r in found.values() if r.person_id} | ({person_id} if own else set()),
        {r.grant_id for r in found.values() if r.grant_id}
        | ({person_id} if person_id[:2] in ("A-", "P-") else set()),
    )
    contacts = _contacts(found, by_gate, names, masker)
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
