"""Everyday work on the visitors and the rules: cancel an appointment, who is expected at
a gate today, pass categories, a household's exit quota and the site's quota.

As on the command line (``campusgate appointment cancel``, ``pass category define``,
``pass quota``), each change in the audit log with who and why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.policy import ExitQuota
from services.appointments import service as appointments
from services.passes import service as passes
from services.policy import service as policy
from services.policy.store import current_policy
from services.visitors.expected import Expected, expected_today
from services.web.admin.models import RefuseRequest
from services.web.api.common import PROBLEMS, GatePath
from services.web.api.models import PLAIN, Reason
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(tags=["everyday"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
Decider = Annotated[Principal, Depends(require(Permission.UNIT_DECIDE))]
Viewer = Annotated[Principal, Depends(require(Permission.GATE_VIEW))]
AppointmentPath = Annotated[
    str, Path(pattern=r"^A-[A-Za-z0-9-]{1,38}$", description="appointment id")
]
MAX_COUNT = 100_000  # passes in force, uses of one pass: far below a 32-bit column's limit
HouseholdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class QuotaChange(BaseModel):
    """The site's household exit quota: ``exits`` per household per ``window_hours``."""

    model_config = ConfigDict(extra="forbid")

    exits: Annotated[int, Field(ge=1, le=100)]
    window_hours: Annotated[int, Field(ge=1, le=24 * 31)]
    reason: Reason


def _cancel(request: Request, principal: Principal, appointment_id: str, reason: str) -> object:
    ctx = context(request)
    with ctx.transaction() as session:
        return appointments.cancel(session=session, appointment_id=appointment_id,
                                   by=principal.username, now=ctx.now(), reason=reason)  # fmt: skip


@router.post("/api/v1/unit/appointments/{appointment_id}/cancel",
             response_model=appointments.Appointment)  # fmt: skip
def unit_cancel(
    appointment_id: AppointmentPath, body: RefuseRequest, principal: Decider, request: Request
) -> object:
    """Cancel a visit of my unit (its code stops admitting at once)."""
    return _cancel(request, principal, appointment_id, body.reason)


@router.post("/api/v1/appointments/{appointment_id}/cancel",
             response_model=appointments.Appointment)  # fmt: skip
def admin_cancel(
    appointment_id: AppointmentPath, body: RefuseRequest, principal: Admin, request: Request
) -> object:
    """Withdraw a request one entered; an approved visit only its unit's approvers cancel."""
    return _cancel(request, principal, appointment_id, body.reason)


@router.get("/api/v1/gates/{gate}/expected", response_model=list[Expected])
def expected(gate: GatePath, principal: Viewer, request: Request) -> list[Expected]:
    """Today's approved visitors and vehicles for this gate (names masked by role)."""
    ctx = context(request)
    principal.require_gate(Permission.GATE_VIEW, gate)
    with ctx.transaction() as session:
        return expected_today(session=session, site=ctx.site, gate=gate, now=ctx.now(),
                              tz=ctx.tz, role=principal.role.value)  # fmt: skip


class CategoryForm(passes.PassCategory):
    """A pass category as typed on the page: plain text, counts a database column holds."""

    label: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=PLAIN)]
    max_active: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = None
    default_uses: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = None


@router.post("/api/v1/passes/categories", response_model=passes.PassCategory)
def define_category(body: CategoryForm, principal: Admin, request: Request) -> passes.PassCategory:
    """Create or change a pass category (the built-in ones too)."""
    ctx = context(request)
    category = passes.PassCategory.model_validate(body.model_dump())
    with ctx.transaction() as session:
        return passes.define_category(session=session, category=category,
                                      by=principal.username, now=ctx.now())  # fmt: skip


@router.get("/api/v1/households/{household}/quota", response_model=passes.QuotaStatus)
def household_quota(
    household: HouseholdPath, principal: Admin, request: Request
) -> passes.QuotaStatus:
    """A household against its exit quota: exits in the window, how many left, when next."""
    ctx = context(request)
    with ctx.transaction() as session:
        rules = current_policy(session=session, site=ctx.site)
        return passes.household_quota(session=session, household=household, policy=rules,
                                      now=ctx.now())  # fmt: skip


@router.put("/api/v1/policy/exit-quota", response_model=policy.PolicyVersion)
def set_exit_quota(body: QuotaChange, principal: Admin, request: Request) -> policy.PolicyVersion:
    """Adjust the site's household exit quota: a new policy version, with who and why."""
    ctx = context(request)
    quota = ExitQuota(exits=body.exits, window_hours=body.window_hours)
    with ctx.transaction() as session:
        return policy.change_policy(
            session=session, site=ctx.site, changes={"exit_quota": quota.model_dump()},
            by=principal.username, reason=body.reason, now=ctx.now(),
        )  # fmt: skip
