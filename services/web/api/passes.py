"""Temporary passes for the administrator: list, issue (with the QR), revoke; categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from services.passes.service import PassCategory, TempPass, list_categories
from services.web.admin import service
from services.web.admin.models import IssuedPassView, PassForm, RevokeRequest
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/passes", tags=["passes"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
PassPath = Annotated[str, Path(pattern=r"^P-[A-Za-z0-9-]{1,38}$", description="pass id")]


@router.get("", response_model=list[TempPass])
def list_passes(principal: Admin, request: Request) -> list[TempPass]:
    """Passes, newest first, with their state now (active, not yet, expired, used up, revoked)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.list_passes(session, ctx)


@router.get("/categories", response_model=list[PassCategory])
def categories(principal: Admin, request: Request) -> list[PassCategory]:
    with context(request).transaction() as session:
        return list_categories(session=session)


@router.post("", response_model=IssuedPassView, status_code=201)
def issue(body: PassForm, principal: Admin, request: Request) -> IssuedPassView:
    """Issue a pass within its category's limits (days, gates, passes in force)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.issue_pass(session, ctx, principal, body)


@router.post("/{pass_id}/revoke", response_model=TempPass)
def revoke(pass_id: PassPath, body: RevokeRequest, principal: Admin, request: Request) -> TempPass:
    """Revoke at once: the gate stops admitting the pass's code."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.revoke_pass(session, ctx, principal, pass_id, body.reason)
