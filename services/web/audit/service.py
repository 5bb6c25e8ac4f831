"""The audit pages' and API's calls into ``services.audit``, as the signed-in user.

Each function takes the session and the principal, turns the dates people type
(whole days in the site's time zone) into the service's aware span, and calls
one ``services.audit`` function with ``actor=`` the user's name and ``role=``
the user's role: so every query is logged under that name and its answer is
masked for that role.  The caller commits (the log row goes with the answer).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kernel.codes import KeyRing
from services.audit.explain import Explanation, explain
from services.audit.export import export_entries, export_trace
from services.audit.queries import (
    AuditLogView,
    EntryView,
    gate_history,
    person_history,
    read_audit_log,
)
from services.audit.trace import TraceReport
from services.audit.trace import trace_contacts as service_trace
from services.storage.models import AppointmentRow, EntryRow, PersonRow, TempPassRow
from services.web.auth.roles import Principal
from services.web.errors import InvalidInput, NotFound
from ui.i18n import Lang

# Dates people may ask about: far enough back for any archive, never so far that
# adding a day overflows ``date``.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
DEFAULT_DAYS = 30
ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class Span:
    """Whole days [since, until] in the site's zone, as the aware [start, end) the service takes."""

    since: date
    until: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def day_span(since: date | None, until: date | None, *, today: date, tz: ZoneInfo) -> Span:
    """The span from ``since`` to ``until`` inclusive (default: the last 30 days to today)."""
    for value in (since, until):  # before any arithmetic: date(1, 1, 1) - 1 day overflows
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise InvalidInput("bad_dates", f"{value} is outside {FIRST_DAY}..{LAST_DAY}")
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if until < since:
        raise InvalidInput("bad_dates", f"until ({until}) is before since ({since})")
    start = datetime.combine(since, time(), tz)
    end = datetime.combine(until + timedelta(days=1), time(), tz)
    return Span(since, until, start, end)


def require_known_person(session: Session, person_id: str) -> None:
    """404 unless the id is on the roster, an appointment, a pass, or in the entry log."""
    if person_id.startswith("A-"):
        known = session.get(AppointmentRow, person_id) is not None
        logged = exists().where(EntryRow.grant_id == person_id)
    elif person_id.startswith("P-"):
        known = session.get(TempPassRow, person_id) is not None
        logged = exists().where(EntryRow.grant_id == person_id)
    else:
        known = session.get(PersonRow, person_id) is not None
        logged = exists().where(EntryRow.person_id == person_id)
    if not (known or session.scalar(select(logged))):
        raise NotFound("person_not_found", person_id)


def history(
    session: Session, principal: Principal, person_id: str, span: Span, now: datetime
) -> list[EntryView]:
    require_known_person(session, person_id)
    return person_history(
        session=session,
        person_id=person_id,
        since=span.start,
        until=span.end,
        actor=principal.username,
        role=principal.role.value,
        now=now,
    )


def gate(
    session: Session,
    principal: Principal,
    *,
    site: str,
    gate_name: str,
    span: Span,
    now: datetime,
    decisions: Sequence[str] = (),
) -> list[EntryView]:
    return gate_history(
        session=session,
        site=site,
        gate=gate_name,
        since=span.start,
        until=span.end,
        actor=principal.username,
        role=principal.role.value,
        now=now,
        decisions=list(decisions) or None,
    )


def event(
    session: Session, principal: Principal, event_id: UUID, now: datetime, *, keys_dir: Path
) -> Explanation:
    """One passage explained; its codes checked against the site's public keys when present."""
    keyring = KeyRing.load(keys_dir) if keys_dir.is_dir() else None
    return explain(
        session=session,
        event_id=str(event_id),
        actor=principal.username,
        role=principal.role.value,
        now=now,
        keyring=keyring,
    )


def trace(
    session: Session,
    principal: Principal,
    person_id: str,
    *,
    window_minutes: int,
    days: int,
    now: datetime,
) -> TraceReport:
    require_known_person(session, person_id)
    return service_trace(
        session=session,
        person_id=person_id,
        window=timedelta(minutes=window_minutes),
        actor=principal.username,
        role=principal.role.value,
        now=now,
        since=now - timedelta(days=days),
        until=now,
    )


def audit_log(
    session: Session, principal: Principal, span: Span, now: datetime, who: str | None
) -> list[AuditLogView]:
    """Who did and asked what, when (reading it is logged too)."""
    return read_audit_log(
        session=session,
        since=span.start,
        until=span.end,
        actor=principal.username,
        role=principal.role.value,
        now=now,
        who=who or None,
    )


def _download(stem: str, fmt: ExportFormat, write: Callable[[Path], object]) -> Download:
    with tempfile.TemporaryDirectory(prefix="cg-audit-") as folder:
        path = Path(folder) / f"export.{fmt}"
        write(path)
        content = path.read_bytes()
    return Download(f"{stem}.{fmt}", MEDIA_TYPES[fmt], content)


def entries_download(
    stem: str, entries: Sequence[EntryView], fmt: ExportFormat, lang: Lang, tz: ZoneInfo
) -> Download:
    """The passages as a file in the asker's language, on the site's clock."""
    return _download(
        stem, fmt, lambda path: export_entries(path, entries, fmt=fmt, lang=lang, tz=tz)
    )


def trace_download(
    stem: str, report: TraceReport, fmt: ExportFormat, lang: Lang, tz: ZoneInfo
) -> Download:
    return _download(stem, fmt, lambda path: export_trace(path, report, fmt=fmt, lang=lang, tz=tz))
