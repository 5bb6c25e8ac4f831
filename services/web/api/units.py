"""Host units: approvers decide their own units' visitors (谁审核谁负责), 信息员 read their
unit, administrators name the officers and keep the risk areas, the security office
sees every decision.

An approver deciding another unit's visitor is refused by ``services.appointments``
(403 ``refused``): the unit is never taken from the caller's word.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.appointments.service import Appointment
from services.visitors import review, risk, unit_view, units
from services.web.admin.models import ApproveRequest, RefuseRequest
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require
from services.web.visitors import service
from services.web.visitors.models import OfficerView, RiskArea

router = APIRouter(tags=["units"], responses=PROBLEMS)

Viewer = Annotated[Principal, Depends(require(Permission.UNIT_VIEW))]
Decider = Annotated[Principal, Depends(require(Permission.UNIT_DECIDE))]
Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
Office = Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))]
AppointmentPath = Annotated[
    str, Path(pattern=r"^A-[A-Za-z0-9-]{1,38}$", description="appointment id")
]
U = "/api/v1/unit"


@router.get(U + "/appointments", response_model=list[review.Pending])
def my_appointments(principal: Viewer, request: Request) -> list[review.Pending]:
    """My units' appointments still ahead, with what the visitors declared."""
    ctx = context(request)
    with ctx.transaction() as session:
        review.expire_walkins(session=session, now=ctx.now())
        mine = service.my_units(session, principal)
        return review.unit_appointments(session=session, site=ctx.site, units=mine,
                                        since=ctx.now())  # fmt: skip


@router.post(U + "/appointments/{appointment_id}/approve", response_model=service.DecisionView)
def approve(
    appointment_id: AppointmentPath, body: ApproveRequest, principal: Decider, request: Request
) -> service.DecisionView:
    """Approve a visitor of my unit: the visitor code (on the status link, e-mailed if given)."""
    ctx = context(request)
    with ctx.transaction() as session:
        view, notice = service.approve(session, ctx, principal, appointment_id, body.note)
    if notice is not None:
        ctx.notifier.submit(notice)
    return view


@router.post(U + "/appointments/{appointment_id}/refuse", response_model=Appointment)
def refuse(
    appointment_id: AppointmentPath, body: RefuseRequest, principal: Decider, request: Request
) -> Appointment:
    """Refuse a visitor of my unit, with the reason (recorded with who and when)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return review.refuse(session=session, appointment_id=appointment_id,
                             by=principal.username, now=ctx.now(), reason=body.reason)  # fmt: skip


@router.get(U + "/people", response_model=list[unit_view.UnitPerson])
def my_people(principal: Viewer, request: Request) -> list[unit_view.UnitPerson]:
    """My units' people on the roster."""
    with context(request).transaction() as session:
        return unit_view.people(session=session, units=service.my_units(session, principal))


@router.get(U + "/entries", response_model=list[unit_view.UnitEntry])
def my_entries(principal: Viewer, request: Request) -> list[unit_view.UnitEntry]:
    """Today's entries of my units' people and visitors."""
    ctx = context(request)
    with ctx.transaction() as session:
        return unit_view.entries_today(session=session, site=ctx.site,
                                       units=service.my_units(session, principal),
                                       now=ctx.now(), tz=ctx.tz)  # fmt: skip


@router.get("/api/v1/units/officers", response_model=list[OfficerView])
def list_officers(principal: Admin, request: Request) -> list[OfficerView]:
    with context(request).transaction() as session:
        return [OfficerView(unit=u, officer=o) for u, o in units.officers(session=session)]


@router.post("/api/v1/units/officers", response_model=OfficerView, status_code=201)
def add_officer(body: OfficerView, principal: Admin, request: Request) -> OfficerView:
    """Make a user a unit's 信息员 (never oneself)."""
    ctx = context(request)
    with ctx.transaction() as session:
        units.add_officer(session=session, unit=body.unit, officer=body.officer,
                          by=principal.username, now=ctx.now())  # fmt: skip
    return body


@router.post("/api/v1/units/officers/remove", status_code=204)
def remove_officer(body: OfficerView, principal: Admin, request: Request) -> None:
    ctx = context(request)
    with ctx.transaction() as session:
        units.remove_officer(session=session, unit=body.unit, officer=body.officer,
                             by=principal.username, now=ctx.now())  # fmt: skip


@router.get("/api/v1/visitors/risk-areas", response_model=list[str])
def list_risk_areas(principal: Admin, request: Request) -> list[str]:
    ctx = context(request)
    with ctx.transaction() as session:
        return risk.risk_areas(session=session, site=ctx.site)


@router.post("/api/v1/visitors/risk-areas", response_model=RiskArea, status_code=201)
def add_risk_area(body: RiskArea, principal: Admin, request: Request) -> RiskArea:
    """A place whose visitors are flagged to the approver (中高风险地区)."""
    ctx = context(request)
    with ctx.transaction() as session:
        name = risk.add_risk_area(session=session, site=ctx.site, name=body.name,
                                  by=principal.username, now=ctx.now())  # fmt: skip
    return RiskArea(name=name)


@router.post("/api/v1/visitors/risk-areas/remove", status_code=204)
def remove_risk_area(body: RiskArea, principal: Admin, request: Request) -> None:
    ctx = context(request)
    with ctx.transaction() as session:
        risk.remove_risk_area(session=session, site=ctx.site, name=body.name,
                              by=principal.username, now=ctx.now())  # fmt: skip


@router.get("/api/v1/appointments/decisions", response_model=list[Appointment])
def decisions(
    principal: Office, request: Request, days: Annotated[int, Query(ge=1, le=90)] = 7
) -> list[Appointment]:
    """Every approval and refusal of the last days: who decided, when, why (security office)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return review.recent_decisions(session=session, site=ctx.site, now=ctx.now(), days=days,
                                       role=principal.role.value)  # fmt: skip
