"""The check-in page: a class's morning and noon reports, entered or reviewed; who is missing.

The clinic sees every unit; a unit's 信息员 only their own (the service scopes it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kernel.decision.reasons import Symptom
from services.cases.checkins import Slot
from services.web.auth.roles import Permission, Principal
from services.web.checkins import service
from services.web.context import context
from services.web.http import render, require_any

router = APIRouter(include_in_schema=False)


@router.get("/checkins")
def checkins(
    request: Request,
    principal: Annotated[
        Principal, Depends(require_any(Permission.CASE_VIEW, Permission.CHECKIN_UNIT))
    ],
) -> Response:
    ctx = context(request)
    now = ctx.now()
    can_act = principal.can(Permission.CASE_ACT) or principal.can(Permission.CHECKIN_UNIT)
    today = now.astimezone(ctx.tz).date()
    with ctx.transaction() as session:
        sheet = service.sheet(session, ctx, principal, unit=None, day=today)
        missing = [service.missing(session, ctx, principal, day=today, slot=s, now=now)
                   for s in Slot]  # fmt: skip
    return render(
        request,
        "checkins.html",
        principal=principal,
        sheet=sheet,
        missing=missing,
        can_act=can_act,
        can_remind=principal.can(Permission.CASE_ACT),
        symptoms=[s.value for s in Symptom],
        page_data={"sheet": sheet.model_dump(mode="json"), "can_act": can_act},
    )  # fmt: skip
