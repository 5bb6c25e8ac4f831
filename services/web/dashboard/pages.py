"""The security office dashboard page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.dashboard import service
from services.web.gates import lane_health
from services.web.gates.service import day_start
from services.web.http import render, require

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))]
) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        view = service.dashboard(session, ctx, principal, ctx.now())
        since = day_start(ctx, ctx.now())
        incidents = lane_health.incidents_since(session, ctx, principal, since)
    can_command = principal.can(Permission.GATE_COMMAND)
    return render(
        request,
        "dashboard.html",
        principal=principal,
        view=view,
        page_data={
            "dashboard": view.model_dump(mode="json"),
            "can_command": can_command,
            "incidents": [i.model_dump(mode="json") for i in incidents],
        },
    )
