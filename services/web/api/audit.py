"""Audit for the auditor and the administrator: histories, explanations, contact traces.

Every call is itself written to the audit log under the signed-in user's name
(``services.audit`` does it in this request's transaction) and masked by the
user's role.  ``format=csv`` or ``format=xlsx`` answers with the same rows as
a download instead of JSON; the audit pages link to exactly these URLs.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from services.audit.explain import Explanation
from services.audit.queries import AuditLogView, EntryView
from services.audit.trace import TraceReport
from services.web.api.common import PROBLEMS, GatePath
from services.web.audit import service
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=PROBLEMS)

Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))]
PersonPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="person id (student/staff number) or appointment/pass id (A-…, P-…)",
    ),
]
Since = Annotated[date | None, Query(description="first day (site time), default 30 days back")]
Until = Annotated[date | None, Query(description="last day, inclusive (site time), default today")]
Format = Annotated[
    Literal["json", "csv", "xlsx"], Query(description="json, or a csv/xlsx download")
]
Decisions = Annotated[
    list[Literal["admit", "recheck", "deny", "isolate"]] | None, Query(description="only these")
]
WindowMinutes = Annotated[int, Query(ge=1, le=1440, description="minutes either side")]
TraceDays = Annotated[int, Query(ge=1, le=366, description="days looked back from now")]
DOWNLOADS: dict[int | str, dict[str, object]] = {
    200: {"content": {media: {} for media in service.MEDIA_TYPES.values()}}
}


def as_attachment(download: service.Download) -> Response:
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


@router.get("/persons/{person_id}/history", response_model=list[EntryView], responses=DOWNLOADS)
def person_history(
    person_id: PersonPath,
    *,
    principal: Auditor,
    request: Request,
    since: Since = None,
    until: Until = None,
    format: Format = "json",
) -> Response | list[EntryView]:
    """Every passage of one person in the days asked, oldest first."""
    ctx = context(request)
    span = service.day_span(since, until, today=ctx.now().astimezone(ctx.tz).date(), tz=ctx.tz)
    with ctx.transaction() as session:
        entries = service.history(session, principal, person_id, span, ctx.now())
    if format == "json":
        return entries
    stem = f"history-{person_id}-{span.since}-{span.until}"
    return as_attachment(service.entries_download(stem, entries, format, principal.lang, ctx.tz))


@router.get("/gates/{gate}/history", response_model=list[EntryView], responses=DOWNLOADS)
def gate_history(
    gate: GatePath,
    *,
    principal: Auditor,
    request: Request,
    since: Since = None,
    until: Until = None,
    decision: Decisions = None,
    format: Format = "json",
) -> Response | list[EntryView]:
    """Every passage at one gate of this site in the days asked (optionally some decisions)."""
    ctx = context(request)
    span = service.day_span(since, until, today=ctx.now().astimezone(ctx.tz).date(), tz=ctx.tz)
    with ctx.transaction() as session:
        entries = service.gate(
            session,
            principal,
            site=ctx.site,
            gate_name=gate,
            span=span,
            now=ctx.now(),
            decisions=decision or (),
        )
    if format == "json":
        return entries
    stem = f"gate-{gate}-{span.since}-{span.until}"
    return as_attachment(service.entries_download(stem, entries, format, principal.lang, ctx.tz))


@router.get("/events/{event_id}", response_model=Explanation)
def explain_event(event_id: UUID, principal: Auditor, request: Request) -> Explanation:
    """One passage explained: the inputs, the facts, the policy version, every reason."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.event(
            session, principal, event_id, ctx.now(), keys_dir=ctx.settings.web.keys_dir
        )


@router.get("/persons/{person_id}/trace", response_model=TraceReport, responses=DOWNLOADS)
def contact_trace(
    person_id: PersonPath,
    *,
    principal: Auditor,
    request: Request,
    window: WindowMinutes = 30,
    days: TraceDays = 14,
    format: Format = "json",
) -> Response | TraceReport:
    """Who passed the same gates within ``window`` minutes of the person's passages."""
    ctx = context(request)
    with ctx.transaction() as session:
        report = service.trace(
            session, principal, person_id, window_minutes=window, days=days, now=ctx.now()
        )
    if format == "json":
        return report
    stem = f"trace-{person_id}-{window}min-{days}d"
    return as_attachment(service.trace_download(stem, report, format, principal.lang, ctx.tz))


@router.get("/log", response_model=list[AuditLogView])
def audit_log(
    principal: Auditor,
    request: Request,
    since: Since = None,
    until: Until = None,
    who: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9._ -]{0,63}$")] = None,
) -> list[AuditLogView]:
    """The audit log: every change and every query, who, what, when (this read included)."""
    ctx = context(request)
    span = service.day_span(since, until, today=ctx.now().astimezone(ctx.tz).date(), tz=ctx.tz)
    with ctx.transaction() as session:
        return service.audit_log(session, principal, span, ctx.now(), who)
