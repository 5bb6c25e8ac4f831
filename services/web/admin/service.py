"""The administration pages' and API's calls into the appointment and policy services.

The signed-in user is who acts (``by=``): approving or refusing is left to
``services.appointments``, which refuses anyone who is not an approver of the
host unit ("who approves is responsible"); its errors reach HTTP through the
one mapping in ``services/web/api/errors.py``.  The caller commits.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from kernel.codes import SigningKey, load_signing_key
from services.appointments import service as appointments
from services.grants import write_code_png
from services.identity import IdHasher, load_id_hash_key
from services.passes import service as passes
from services.policy import service as policy
from services.web.admin.models import (
    AppointmentForm,
    ApprovalView,
    ApproverView,
    IssuedPassView,
    PassForm,
    PolicyView,
)
from services.web.auth.roles import Principal
from services.web.context import WebContext

QR_SCALE = 6
APPOINTMENT_LIMIT = 500
PASS_LIMIT = 500


def signing_key(ctx: WebContext) -> SigningKey:
    """The site's active code-signing key (ConfigError -> 422 when it is missing)."""
    return load_signing_key(ctx.settings.web.keys_dir)


def id_hasher(ctx: WebContext) -> IdHasher:
    return IdHasher(load_id_hash_key(allow_demo_key=ctx.settings.web.demo))


def qr_png(code: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="cg-qr-") as folder:
        path = Path(folder) / "code.png"
        write_code_png(code, path, scale=QR_SCALE)
        return path.read_bytes()


def list_appointments(
    session: Session, ctx: WebContext, status: list[str] | None
) -> list[appointments.Appointment]:
    return appointments.list_appointments(
        session=session, site=ctx.site, status=status, limit=APPOINTMENT_LIMIT
    )


def request_appointment(
    session: Session, ctx: WebContext, principal: Principal, form: AppointmentForm
) -> appointments.Appointment:
    request = appointments.AppointmentRequest(
        site=ctx.site,
        visitor_name=form.visitor_name,
        phone=form.phone,
        id_number=form.id_number,
        host_unit=form.host_unit,
        purpose=form.purpose,
        gates=list(form.gates),
        valid_from=form.valid_from,
        valid_until=form.valid_until,
        once=form.once,
    )
    return appointments.request_appointment(
        session=session, request=request, hasher=id_hasher(ctx), by=principal.username,
        now=ctx.now(),
    )  # fmt: skip


def approve(
    session: Session, ctx: WebContext, principal: Principal, appointment_id: str, note: str
) -> ApprovalView:
    approval = appointments.approve(
        session=session, appointment_id=appointment_id, by=principal.username, now=ctx.now(),
        key=signing_key(ctx), note=note,
    )  # fmt: skip
    image = base64.b64encode(qr_png(approval.code)).decode()
    return ApprovalView(appointment=approval.appointment, code=approval.code, qr_png=image)


def refuse(
    session: Session, ctx: WebContext, principal: Principal, appointment_id: str, reason: str
) -> appointments.Appointment:
    return appointments.refuse(
        session=session, appointment_id=appointment_id, by=principal.username, now=ctx.now(),
        reason=reason,
    )  # fmt: skip


def policy_view(session: Session, ctx: WebContext) -> PolicyView:
    return PolicyView(
        current=policy.current_version(session=session, site=ctx.site),
        levels=policy.list_levels(session=session, site=ctx.site),
    )


def list_passes(session: Session, ctx: WebContext) -> list[passes.TempPass]:
    return passes.list_passes(session=session, now=ctx.now(), limit=PASS_LIMIT)


def issue_pass(
    session: Session, ctx: WebContext, principal: Principal, form: PassForm
) -> IssuedPassView:
    request = passes.PassRequest(site=ctx.site, **form.model_dump(exclude={"id_number"}),
                                 id_number=form.id_number)  # fmt: skip
    issued = passes.issue_pass(
        session=session, request=request, hasher=id_hasher(ctx), key=signing_key(ctx),
        by=principal.username, now=ctx.now(),
    )  # fmt: skip
    image = base64.b64encode(qr_png(issued.code)).decode()
    return IssuedPassView(temp_pass=issued.temp_pass, code=issued.code, qr_png=image)


def revoke_pass(
    session: Session, ctx: WebContext, principal: Principal, pass_id: str, reason: str
) -> passes.TempPass:
    return passes.revoke_pass(
        session=session, pass_id=pass_id, by=principal.username, now=ctx.now(), reason=reason
    )


def list_approvers(session: Session) -> list[ApproverView]:
    return [ApproverView(unit=u, approver=a) for u, a in appointments.approvers(session=session)]


def add_approver(
    session: Session, ctx: WebContext, principal: Principal, body: ApproverView
) -> ApproverView:
    appointments.add_approver(session=session, unit=body.unit, approver=body.approver,
                              by=principal.username, now=ctx.now())  # fmt: skip
    return body


def remove_approver(
    session: Session, ctx: WebContext, principal: Principal, body: ApproverView
) -> None:
    appointments.remove_approver(session=session, unit=body.unit, approver=body.approver,
                                 by=principal.username, now=ctx.now())  # fmt: skip
