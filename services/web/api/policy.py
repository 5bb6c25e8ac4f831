"""The site's policy for the administrator: the current version, and the response level."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.policy.service import PolicyVersion
from services.web.admin import service
from services.web.admin.models import LevelSwitch, PolicyView
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]


@router.get("", response_model=PolicyView)
def current(principal: Admin, request: Request) -> PolicyView:
    """The current policy version (who changed it, why) and the levels one can switch to."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.policy_view(session, ctx)


@router.post("/level", response_model=PolicyVersion)
def switch_level(body: LevelSwitch, principal: Admin, request: Request) -> PolicyVersion:
    """Switch the epidemic response level in one action: one new version, with who and why."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.switch_level(session, ctx, principal, body, ctx.now())
