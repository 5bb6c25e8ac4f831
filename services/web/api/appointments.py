"""Visitor appointments for the administrator: list, request, approve (with the QR), refuse.

Approving and refusing are the host unit's approvers' alone: the service says
no to anyone else (403 ``refused``), and to a second decision on the same request.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.appointments.service import Appointment
from services.web.admin import service
from services.web.admin.models import (
    AppointmentForm,
    ApprovalView,
    ApproveRequest,
    ApproverView,
    RefuseRequest,
)
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/appointments", tags=["appointments"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
AppointmentPath = Annotated[
    str, Path(pattern=r"^A-[A-Za-z0-9-]{1,38}$", description="appointment id")
]
Statuses = Annotated[
    list[Literal["requested", "approved", "refused", "cancelled"]] | None,
    Query(description="only these"),
]


@router.get("", response_model=list[Appointment])
def list_appointments(
    principal: Admin, request: Request, status: Statuses = None
) -> list[Appointment]:
    """This site's appointments, newest first."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.list_appointments(session, ctx, list(status) if status else None)


@router.post("", response_model=Appointment, status_code=201)
def request_appointment(body: AppointmentForm, principal: Admin, request: Request) -> Appointment:
    """A visitor's request, awaiting a decision by an approver of the host unit."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.request_appointment(session, ctx, principal, body)


@router.get("/approvers", response_model=list[ApproverView])
def list_approvers(principal: Admin, request: Request) -> list[ApproverView]:
    """Who decides for which host unit."""
    with context(request).transaction() as session:
        return service.list_approvers(session)


@router.post("/approvers", response_model=ApproverView, status_code=201)
def add_approver(body: ApproverView, principal: Admin, request: Request) -> ApproverView:
    """Make a user responsible for deciding a host unit's appointments."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.add_approver(session, ctx, principal, body)


@router.post("/approvers/remove", status_code=204)
def remove_approver(body: ApproverView, principal: Admin, request: Request) -> None:
    """No longer an approver of that unit (404 if they were not)."""
    ctx = context(request)
    with ctx.transaction() as session:
        service.remove_approver(session, ctx, principal, body)


@router.post("/{appointment_id}/approve", response_model=ApprovalView)
def approve(
    appointment_id: AppointmentPath, body: ApproveRequest, principal: Admin, request: Request
) -> ApprovalView:
    """Approve (approvers of the host unit only) and issue the visitor code, with its QR."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.approve(session, ctx, principal, appointment_id, body.note)


@router.post("/{appointment_id}/refuse", response_model=Appointment)
def refuse(
    appointment_id: AppointmentPath, body: RefuseRequest, principal: Admin, request: Request
) -> Appointment:
    """Refuse with a reason (approvers of the host unit only); the visitor is denied at the gate."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.refuse(session, ctx, principal, appointment_id, body.reason)
