"""Pages of the visitor work for signed-in users: the unit page (approvers and 信息员, on a
phone), the walk-in form at a lane, the security office's decisions, the
administrator's units page.  Their buttons call the JSON API (``static/js/unit.js``,
``walkin.js``, ``units_admin.js``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.appointments import service as appointments
from services.passes import service as passes
from services.policy.store import current_policy
from services.visitors import review, risk, unit_view, units
from services.web.api.common import GatePath
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import render, require
from services.web.visitors import service

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.UNIT_VIEW))]
Lane = Annotated[Principal, Depends(require(Permission.GATE_LANE))]
Office = Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))]
Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]


@router.get("/unit")
def unit_page(request: Request, principal: Viewer) -> Response:
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        review.expire_walkins(session=session, now=now)
        mine = service.my_units(session, principal)
        ahead = review.unit_appointments(session=session, site=ctx.site, units=mine, since=now)
        people = unit_view.people(session=session, units=mine)
        entries = unit_view.entries_today(session=session, site=ctx.site, units=mine, now=now,
                                          tz=ctx.tz)  # fmt: skip
    pending = [p for p in ahead if p.appointment.status == "requested"]
    decided = [p for p in ahead if p.appointment.status != "requested"]
    return render(
        request, "unit.html", principal=principal, units=sorted(mine), pending=pending,
        decided=decided, people=people, entries=entries, tz=ctx.tz,
        can_decide=principal.can(Permission.UNIT_DECIDE),
    )  # fmt: skip


@router.get("/kiosk/{gate}/walkin")
def walkin_page(gate: GatePath, request: Request, principal: Lane) -> Response:
    principal.require_gate(Permission.GATE_LANE, gate)
    ctx = context(request)
    with ctx.transaction() as session:
        known = units.known_units(session=session)
    return render(request, "walkin.html", principal=principal, gate=gate, units=known,
                  page_data={"gate": gate})  # fmt: skip


@router.get("/office/decisions")
def decisions_page(request: Request, principal: Office) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        found = review.recent_decisions(session=session, site=ctx.site, now=ctx.now(),
                                        role=principal.role.value)  # fmt: skip
    return render(request, "decisions.html", principal=principal, decisions=found, tz=ctx.tz)


@router.get("/admin/units")
def units_page(request: Request, principal: Admin) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        approvers = appointments.approvers(session=session)
        officers = units.officers(session=session)
        areas = risk.risk_areas(session=session, site=ctx.site)
    return render(request, "units_admin.html", principal=principal, approvers=approvers,
                  officers=officers, areas=areas)  # fmt: skip


@router.get("/admin/everyday")
def everyday_page(request: Request, principal: Admin) -> Response:
    """Pass categories (define, change) and the household exit quota (look up, adjust)."""
    ctx = context(request)
    with ctx.transaction() as session:
        categories = passes.list_categories(session=session)
        rules = current_policy(session=session, site=ctx.site)
    return render(request, "everyday.html", principal=principal, categories=categories,
                  quota=rules.exit_quota)  # fmt: skip
