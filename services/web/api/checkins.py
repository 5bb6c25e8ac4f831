"""The daily check-in (晨午检): enter one report or a class's, the class sheet, who is missing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StringConstraints

from services.cases.checkins import Slot
from services.storage.audit_log import log_action
from services.web.api.common import PROBLEMS
from services.web.api.models import PLAIN
from services.web.auth.roles import Permission, Principal
from services.web.checkins import reminders, service
from services.web.checkins.service import (
    CheckinRequest,
    CheckinView,
    ClassRequest,
    MissingView,
    RemindResult,
    SheetView,
)
from services.web.context import context
from services.web.http import require, require_any

router = APIRouter(prefix="/api/v1/checkins", tags=["check-ins"], responses=PROBLEMS)

# The clinic, and a unit's 信息员 for their own units (scoped in the service).
Viewer = Annotated[Principal, Depends(require_any(Permission.CASE_VIEW, Permission.CHECKIN_UNIT))]
Enterer = Annotated[Principal, Depends(require_any(Permission.CASE_ACT, Permission.CHECKIN_UNIT))]
Clinician = Annotated[Principal, Depends(require(Permission.CASE_ACT))]
Unit = Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)]


@router.post("", response_model=CheckinView)
def record(body: CheckinRequest, principal: Enterer, request: Request) -> CheckinView:
    """One report; over the threshold or with symptoms it opens (or joins) a case.

    A unit officer enters for the people of their own units only (403 ``forbidden_unit``).
    """
    ctx = context(request)
    with ctx.transaction() as session:
        return service.record(session, ctx, principal, body, now=ctx.now())


@router.post("/class", response_model=list[CheckinView])
def record_class(body: ClassRequest, principal: Enterer, request: Request) -> list[CheckinView]:
    """A whole class's slot at once: one bad line (or another unit's person) and nothing is
    stored; the refusal names the line."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.record_class(session, ctx, principal, body, now=ctx.now())


@router.get("", response_model=SheetView)
def sheet(
    principal: Viewer,
    request: Request,
    unit: Annotated[Unit | None, Query()] = None,
    day: Annotated[date | None, Query()] = None,
) -> SheetView:
    """A unit's people with their morning and noon reports (default: today, the first unit)."""
    ctx = context(request)
    with ctx.transaction() as session:
        when = day or ctx.now().astimezone(ctx.tz).date()
        return service.sheet(session, ctx, principal, unit=unit, day=when)


@router.get("/missing", response_model=MissingView)
def missing(
    principal: Viewer,
    request: Request,
    slot: Annotated[Slot, Query()] = Slot.MORNING,
    day: Annotated[date | None, Query()] = None,
) -> MissingView:
    """Who has not reported, per unit; ``overdue`` once the slot's deadline has passed."""
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        when = day or now.astimezone(ctx.tz).date()
        return service.missing(session, ctx, principal, day=when, slot=slot, now=now)


@router.post("/remind", response_model=RemindResult)
def remind(
    principal: Clinician, request: Request, slot: Annotated[Slot, Query()] = Slot.MORNING
) -> RemindResult:
    """Tell the clinic's channels who is missing today for ``slot`` (per unit), and each
    unit's 信息员 their own unit's list (audience ``officers``)."""
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        view = service.missing(session, ctx, principal, day=now.astimezone(ctx.tz).date(),
                               slot=slot, now=now)  # fmt: skip
        sent = reminders.notices(session, view)
        log_action(session, at=now, actor=principal.username, role=principal.role.value,
                   action="checkin.remind", target=f"{ctx.site}/{view.day}/{slot.value}",
                   count=view.total)  # fmt: skip
    for notice in sent:
        ctx.notifier.submit(notice)
    return reminders.result(view, sent)
