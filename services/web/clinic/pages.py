"""The clinic page: fever cases live, with their workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.web.auth.roles import Permission, Principal
from services.web.clinic import service
from services.web.context import context
from services.web.http import render, require

router = APIRouter(include_in_schema=False)


@router.get("/clinic")
def clinic(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.CASE_VIEW))]
) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        cases = service.list_cases(session, ctx.site, principal, include_closed=False,
                                   as_of=service.as_of(ctx))  # fmt: skip
    can_act = principal.can(Permission.CASE_ACT)
    return render(
        request,
        "clinic.html",
        principal=principal,
        can_act=can_act,
        page_data={"cases": [c.model_dump(mode="json") for c in cases], "can_act": can_act},
    )
