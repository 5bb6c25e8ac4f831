"""The web's calls into ``services.visitors``: settings to policy, the signed-in user to
``by=``, and the notices a decision or a walk-in sends (after the transaction commits).

The approver's units are read per request (``unit_approvers``/``unit_officers``), so an
administrator's change applies at the next click, and another unit's visitor is a 403
from ``services.appointments`` ("who approves is responsible").
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from services.appointments import service as appointments
from services.visitors import review, units
from services.visitors.forms import VisitorForm, WalkInForm
from services.visitors.requests import Submitted, VisitorPolicy, note_attempt, submit_request
from services.visitors.walkins import WalkIn, register_walkin
from services.web.admin.service import id_hasher, qr_png, signing_key
from services.web.auth.roles import Permission, Principal, Role
from services.web.context import WebContext
from services.web.errors import Forbidden
from services.web.notify.channels import Notice


class DecisionView(BaseModel):
    """An approval as the approver's page gets it: the appointment, its code and its QR."""

    model_config = ConfigDict(frozen=True)

    appointment: appointments.Appointment
    code: str
    qr_png: str
    emailed: bool


def policy(ctx: WebContext) -> VisitorPolicy:
    v = ctx.settings.web.visitors
    return VisitorPolicy(
        max_window=timedelta(hours=v.max_window_h),
        max_ahead=timedelta(days=v.max_ahead_days),
        per_address=v.per_address,
        address_window=timedelta(seconds=v.address_window_s),
        per_phone=v.per_phone,
    )


def count_attempt(ctx: WebContext, address: str) -> None:
    """Count this request against its address's limit, in a transaction of its own."""
    with ctx.transaction() as session:
        note_attempt(session=session, address=address, now=ctx.now(), policy=policy(ctx))


def submit(session: Session, ctx: WebContext, form: VisitorForm) -> Submitted:
    return submit_request(session=session, site=ctx.site, form=form, hasher=id_hasher(ctx),
                          now=ctx.now(), tz=ctx.tz, policy=policy(ctx))  # fmt: skip


def my_units(session: Session, principal: Principal) -> frozenset[str]:
    """The units the signed-in approver or officer answers for."""
    if principal.role is Role.APPROVER:
        return units.approver_units(session=session, username=principal.username)
    if principal.role is Role.UNIT_OFFICER:
        return units.officer_units(session=session, username=principal.username)
    return frozenset()


def require_own_unit(session: Session, principal: Principal, unit: str) -> None:
    if unit not in my_units(session, principal):
        raise Forbidden("forbidden_unit", f"{principal.username} does not answer for {unit}")


def approve(
    session: Session, ctx: WebContext, principal: Principal, appointment_id: str, note: str
) -> tuple[DecisionView, Notice | None]:
    approval, email = review.approve(
        session=session, appointment_id=appointment_id, by=principal.username, now=ctx.now(),
        key=signing_key(ctx), note=note,
    )  # fmt: skip
    image = base64.b64encode(qr_png(approval.code)).decode()
    notice = code_notice(approval.appointment, approval.code, email) if email else None
    view = DecisionView(appointment=approval.appointment, code=approval.code, qr_png=image,
                        emailed=notice is not None)  # fmt: skip
    return view, notice


def code_notice(appointment: appointments.Appointment, code: str, email: str) -> Notice:
    """The visitor's code by e-mail, through the notifier (its retries and dead letters)."""
    text = (
        f"您的来访申请已批准 Your visit is approved: {appointment.host_unit}, "
        f"{appointment.valid_from.isoformat()} - {appointment.valid_until.isoformat()}.\n"
        f"访客码 Visitor code:\n{code}\n"
    )
    return Notice(
        notice_id=f"visitor-code-{appointment.appointment_id}",
        kind="visitor_code",
        audience="visitor",
        subject="[campusgate] 访客预约已批准 Visit approved",
        text=text,
        data={"type": "visitor_code", "to": [email], "appointment_id": appointment.appointment_id},
    )


def walkin(
    session: Session, ctx: WebContext, principal: Principal, form: WalkInForm
) -> tuple[WalkIn, Notice]:
    principal.require_gate(Permission.GATE_LANE, form.gate)
    answer_within = timedelta(seconds=ctx.settings.web.visitors.walkin_answer_s)
    made = register_walkin(
        session=session, site=ctx.site, form=form, hasher=id_hasher(ctx),
        by=principal.username, now=ctx.now(), answer_within=answer_within,
    )  # fmt: skip
    return made, walkin_notice(made, form, ctx.now())


def walkin_notice(made: WalkIn, form: WalkInForm, now: datetime) -> Notice:
    return Notice(
        notice_id=f"walkin-{made.appointment_id}-{uuid.uuid4().hex[:8]}",
        kind="walkin",
        audience="approvers",
        subject=f"[campusgate] 临时来访登记 Walk-in at {form.gate} for {made.unit}",
        text=(
            f"{form.visitor_name} 在 {form.gate} 等候，来访 {made.unit} {form.host_person}；"
            f"请在 {made.answer_by.isoformat()} 前审批 (/unit).\n"
            f"Walk-in waiting at {form.gate}; please answer by {made.answer_by.isoformat()}."
        ),
        data={
            "type": "walkin",
            "appointment_id": made.appointment_id,
            "unit": made.unit,
            "gate": form.gate,
            "visitor_name": form.visitor_name,
            "host_person": form.host_person,
            "approvers": list(made.approvers),
            "answer_by": made.answer_by.isoformat(),
            "registered_at": now.isoformat(),
        },
    )
