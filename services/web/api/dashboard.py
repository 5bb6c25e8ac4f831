"""The security office's whole picture in one call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.web.api.common import PROBLEMS
from services.web.api.models import DashboardView
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.dashboard import service
from services.web.http import require

router = APIRouter(prefix="/api/v1", tags=["dashboard"], responses=PROBLEMS)


@router.get("/dashboard", response_model=DashboardView)
def dashboard(
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))], request: Request
) -> DashboardView:
    ctx = context(request)
    with ctx.transaction() as session:
        return service.dashboard(session, ctx, principal, ctx.now())
