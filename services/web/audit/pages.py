"""The audit pages: person history, gate history, one event explained, contact trace.

Server-rendered from plain GET forms (no script needed); each answer comes from
the same ``services.web.audit.service`` call as the JSON API, so it is logged
under the signed-in user's name, and its CSV/XLSX links are the API's URLs.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from schemas.names import NAME_PATTERN
from services.web.audit import service
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.errors import InvalidInput
from services.web.http import render, require

router = APIRouter(include_in_schema=False)

Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))]
# What a form sends, unchecked: parsed here so a person sees a page, not a JSON 422.
Field = Annotated[str, Query(max_length=100)]
PERSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
GATE = re.compile(NAME_PATTERN)
WINDOW_MINUTES = (1, 1440)
TRACE_DAYS = (1, 366)


def _person_id(text: str) -> str:
    value = text.strip()
    if not PERSON_ID.match(value):
        raise InvalidInput("bad_person_id", f"{value[:64]!r} is not a person or grant id")
    return value


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput("bad_dates", f"{text[:20]!r} is not a date (YYYY-MM-DD)") from exc


def _number(text: str, bounds: tuple[int, int], default: int) -> int:
    if not text.strip():
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise InvalidInput("invalid_input", f"{text[:20]!r} is not a whole number") from exc
    if not bounds[0] <= value <= bounds[1]:
        raise InvalidInput("invalid_input", f"{value} is outside {bounds[0]}..{bounds[1]}")
    return value


def _page(request: Request, principal: Principal, **values: Any) -> Response:
    ctx = context(request)
    form = {"person_id": "", "gate": "", "since": "", "until": "", "window": "30", "days": "14"}
    form.update(values.pop("form", {}))
    return render(
        request,
        "audit.html",
        principal=principal,
        form=form,
        gates=ctx.settings.web.gates,
        tz=ctx.tz,
        **values,
    )


def _span(request: Request, since: str, until: str) -> service.Span:
    ctx = context(request)
    today = ctx.now().astimezone(ctx.tz).date()
    return service.day_span(_day(since), _day(until), today=today, tz=ctx.tz)


@router.get("/audit")
def audit_home(request: Request, principal: Auditor) -> Response:
    return _page(request, principal, mode="")


@router.get("/audit/person")
def person_page(
    request: Request,
    principal: Auditor,
    *,
    person_id: Field = "",
    since: Field = "",
    until: Field = "",
) -> Response:
    ctx = context(request)
    pid = _person_id(person_id)
    span = _span(request, since, until)
    with ctx.transaction() as session:
        entries = service.history(session, principal, pid, span, ctx.now())
    query = {"since": span.since.isoformat(), "until": span.until.isoformat()}
    base = f"/api/v1/audit/persons/{pid}/history?{urlencode(query)}"
    return _page(
        request,
        principal,
        mode="person",
        form={"person_id": pid, **query},
        entries=entries,
        exports={fmt: f"{base}&format={fmt}" for fmt in ("csv", "xlsx")},
    )


@router.get("/audit/gate")
def gate_page(
    request: Request, principal: Auditor, gate: Field = "", since: Field = "", until: Field = ""
) -> Response:
    ctx = context(request)
    name = gate.strip()
    if not GATE.match(name):
        raise InvalidInput("bad_gate", f"{name[:40]!r} is not a gate name")
    span = _span(request, since, until)
    with ctx.transaction() as session:
        entries = service.gate(
            session, principal, site=ctx.site, gate_name=name, span=span, now=ctx.now()
        )
    query = {"since": span.since.isoformat(), "until": span.until.isoformat()}
    base = f"/api/v1/audit/gates/{name}/history?{urlencode(query)}"
    return _page(
        request,
        principal,
        mode="gate",
        form={"gate": name, **query},
        entries=entries,
        exports={fmt: f"{base}&format={fmt}" for fmt in ("csv", "xlsx")},
    )


@router.get("/audit/trace")
def trace_page(
    request: Request,
    principal: Auditor,
    *,
    person_id: Field = "",
    window: Field = "",
    days: Field = "",
) -> Response:
    ctx = context(request)
    pid = _person_id(person_id)
    minutes = _number(window, WINDOW_MINUTES, 30)
    look_back = _number(days, TRACE_DAYS, 14)
    with ctx.transaction() as session:
        report = service.trace(
            session, principal, pid, window_minutes=minutes, days=look_back, now=ctx.now()
        )
    query = urlencode({"window": minutes, "days": look_back})
    base = f"/api/v1/audit/persons/{pid}/trace?{query}"
    return _page(
        request,
        principal,
        mode="trace",
        form={"person_id": pid, "window": str(minutes), "days": str(look_back)},
        report=report,
        entries=report.passages,
        exports={fmt: f"{base}&format={fmt}" for fmt in ("csv", "xlsx")},
    )


@router.get("/audit/events/{event_id}")
def event_page(event_id: UUID, request: Request, principal: Auditor) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        explanation = service.event(
            session, principal, event_id, ctx.now(), keys_dir=ctx.settings.web.keys_dir
        )
    return render(
        request,
        "audit_event.html",
        principal=principal,
        x=explanation,
        parts=explanation.model_dump(mode="json"),
        tz=ctx.tz,
    )


@router.get("/audit/log")
def log_page(
    request: Request, principal: Auditor, *, since: Field = "", until: Field = ""
) -> Response:
    ctx = context(request)
    span = _span(request, since, until)
    with ctx.transaction() as session:
        rows = service.audit_log(session, principal, span, ctx.now(), None)
    return render(
        request,
        "audit_log.html",
        principal=principal,
        rows=rows,
        form={"since": span.since.isoformat(), "until": span.until.isoformat()},
        tz=ctx.tz,
    )
