"""Visitors: the public request and its status (no sign-in), walk-ins at the lane (guards).

The public calls take JSON only (no cookie is read, so there is nothing to forge
cross-site) and count against the caller's address before anything else happens.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from services.visitors import review, units
from services.visitors.forms import VisitorForm, WalkInForm
from services.visitors.walkins import walkin_answer
from services.web.api.common import PROBLEMS, GatePath
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import client_peer, require
from services.web.visitors import service
from services.web.visitors.models import Submission, WalkInAnswerView, WalkInView
from services.web.visitors.public import TOKEN_PATTERN

router = APIRouter(tags=["visitors"], responses=PROBLEMS)

Lane = Annotated[Principal, Depends(require(Permission.GATE_LANE))]
TokenPath = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the status link's token")]
AppointmentPath = Annotated[
    str, Path(pattern=r"^A-[A-Za-z0-9-]{1,38}$", description="appointment id")
]


@router.get("/api/v1/visit/units", response_model=list[str])
def host_units(request: Request) -> list[str]:
    """The host units a visitor may ask (those with an approver)."""
    with context(request).transaction() as session:
        return units.known_units(session=session)


@router.post("/api/v1/visit", response_model=Submission, status_code=201)
def request_visit(body: VisitorForm, request: Request) -> Submission:
    """A visitor's own request (no sign-in; rate-limited per address and per phone)."""
    ctx = context(request)
    service.count_attempt(ctx, client_peer(request).address)
    with ctx.transaction() as session:
        made = service.submit(session, ctx, body)
    return Submission(
        appointment_id=made.appointment_id,
        status_url=f"/visit/status/{made.token}",
        risk_flagged=bool(made.risk_places),
    )


@router.get("/api/v1/visit/{token}", response_model=review.VisitorStatus)
def visit_status(token: TokenPath, request: Request) -> review.VisitorStatus:
    """The request behind a status link; the visitor code once approved."""
    ctx = context(request)
    with ctx.transaction() as session:
        return review.status_of(session=session, token=token, now=ctx.now())


@router.post("/api/v1/gates/{gate}/walkins", response_model=WalkInView, status_code=201)
def register_walkin(
    gate: GatePath, body: WalkInForm, principal: Lane, request: Request
) -> WalkInView:
    """A walk-in at this lane (登记): the host unit's approvers are told at once."""
    ctx = context(request)
    principal.require_gate(Permission.GATE_LANE, gate)
    if body.gate != gate:
        body = body.model_copy(update={"gate": gate})
    with ctx.transaction() as session:
        made, notice = service.walkin(session, ctx, principal, body)
    ctx.notifier.submit(notice)
    return WalkInView(appointment_id=made.appointment_id, unit=made.unit,
                      approvers=len(made.approvers), answer_by=made.answer_by)  # fmt: skip


@router.get("/api/v1/gates/{gate}/walkins/{appointment_id}", response_model=WalkInAnswerView)
def walkin_status(
    gate: GatePath, appointment_id: AppointmentPath, principal: Lane, request: Request
) -> WalkInAnswerView:
    """The host unit's answer to a walk-in of this lane (refused once unanswered too long)."""
    ctx = context(request)
    principal.require_gate(Permission.GATE_LANE, gate)
    with ctx.transaction() as session:
        answer = walkin_answer(session=session, appointment_id=appointment_id, gate=gate,
                               now=ctx.now())  # fmt: skip
    return WalkInAnswerView(
        appointment_id=answer.appointment_id, status=answer.status,
        decided_by=answer.decided_by, note=answer.note, code=answer.code,
        answer_by=answer.answer_by,
    )  # fmt: skip
