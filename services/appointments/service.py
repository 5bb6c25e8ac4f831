"""Visitor appointments: request, then approve or refuse by an approver of the host unit.

"Who approves is responsible" (谁审核谁负责): only a registered approver of the
host unit may decide, and the decision records who, when and why.  Approval
issues a signed visitor code whose subject is the appointment id, valid until
the window ends (one-time where the request asks for it); the gate admits the
visitor only at the appointment's gates and inside its window.

Every function takes ``session=`` and returns models; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.codes import SigningKey
from kernel.errors import ConfigError, NotFound, Refused
from kernel.localtime import day_bounds, site_zone
from kernel.masking import Masker, Role, mask_id_number
from schemas.names import GateName, SiteName
from services.grants import (
    check_phone,
    check_window,
    gates_text,
    hashed_id_number,
    issue_grant_code,
    new_grant_id,
)
from services.identity import IdHasher
from services.storage.audit_log import log_action
from services.storage.issued_codes import record_grant
from services.storage.models import AppointmentRow, UnitApproverRow

Status = Literal["requested", "approved", "refused", "cancelled"]
MAX_WINDOW = timedelta(days=7)
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class AppointmentRequest(BaseModel):
    """What a visitor (or their host) fills in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: SiteName = "main"
    visitor_name: Text200
    phone: Annotated[str, Field(max_length=32)] = ""
    id_number: SecretStr  # hashed on arrival; never stored, logged or shown
    host_unit: Text200
    purpose: Annotated[str, Field(max_length=1000)] = ""
    gates: Annotated[list[GateName | Literal["*"]], Field(min_length=1, max_length=32)]
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    once: bool = False


class Appointment(BaseModel):
    """An appointment as shown (names and phones masked by the viewer's role)."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    site: str
    visitor_name: str
    phone: str
    masked_id: str
    host_unit: str
    purpose: str
    gates: list[str]
    valid_from: datetime
    valid_until: datetime
    once: bool
    status: Status
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    code_expires_at: datetime | None


class Approval(BaseModel):
    """An approved appointment and its visitor code (to send, e.g. as a QR image)."""

    model_config = ConfigDict(frozen=True)

    appointment: Appointment
    code: str


def _shown(row: AppointmentRow, role: Role | str = Role.ADMIN) -> Appointment:
    masker = Masker(role)
    return Appointment(
        appointment_id=row.appointment_id,
        site=row.site,
        visitor_name=masker.name(row.visitor_name) or "",
        phone=masker.phone(row.phone) or "",
        masked_id=mask_id_number(row.id_last4),
        host_unit=row.host_unit,
        purpose=row.purpose,
        gates=row.gates.split(";"),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        once=row.once,
        status=row.status,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        code_expires_at=row.code_expires_at,
    )


def _log(
    session: Session, *, at: datetime, by: str, action: str, target: str, **params: object
) -> None:
    log_action(session, at=at, actor=by, action=action, target=target, params=params)


def _row(session: Session, appointment_id: str) -> AppointmentRow:
    row = session.get(AppointmentRow, appointment_id)
    if row is None:
        raise NotFound(f"no appointment {appointment_id!r}")
    return row


# --- approvers -------------------------------------------------------------------------


def add_approver(*, session: Session, unit: str, approver: str, by: str, now: datetime) -> None:
    """Make ``approver`` responsible for deciding the appointments of ``unit``.

    Who approves is responsible, so nobody appoints themselves: another administrator
    does, and is recorded (``added_by`` and the audit log).
    """
    if not unit.strip() or not approver.strip():
        raise ConfigError("unit and approver must not be empty")
    if approver.strip().lower() == by.strip().lower():
        raise Refused(
            f"{by!r} may not make themselves an approver of {unit!r}: another administrator "
            "must (who approves is responsible)"
        )
    if session.get(UnitApproverRow, (unit, approver)) is None:
        session.add(UnitApproverRow(unit=unit, approver=approver, added_by=by, added_at=now))
        _log(session, at=now, by=by, action="appointment.approver_add", target=unit,
             approver=approver)  # fmt: skip
    session.flush()


def remove_approver(*, session: Session, unit: str, approver: str, by: str, now: datetime) -> None:
    result = session.execute(
        delete(UnitApproverRow).where(
            UnitApproverRow.unit == unit, UnitApproverRow.approver == approver
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"{approver!r} is not an approver of {unit!r}")
    _log(session, at=now, by=by, action="appointment.approver_remove", target=unit,
         approver=approver)  # fmt: skip


def approvers(*, session: Session, unit: str | None = None) -> list[tuple[str, str]]:
    """(unit, approver) pairs, optionally of one unit."""
    query = select(UnitApproverRow.unit, UnitApproverRow.approver).order_by(
        UnitApproverRow.unit, UnitApproverRow.approver
    )
    if unit is not None:
        query = query.where(UnitApproverRow.unit == unit)
    return [(u, a) for u, a in session.execute(query)]


def _require_approver(session: Session, row: AppointmentRow, by: str) -> None:
    if session.get(UnitApproverRow, (row.host_unit, by)) is None:
        raise Refused(
            f"{by!r} is not an approver of {row.host_unit!r}: the host unit's approver decides "
            "(who approves is responsible)"
        )


# --- the request and its decision ----------------------------------------------------------


def request_appointment(
    *,
    session: Session,
    request: AppointmentRequest,
    hasher: IdHasher,
    by: str,
    now: datetime,
    document: tuple[str, str] | None = None,
) -> Appointment:
    """Store a request; ``document``: (keyed hash, last four) made already for a document
    other than a resident ID card (``request.id_number`` is then not read)."""
    check_window(request.valid_from, request.valid_until, now)
    if request.valid_until - request.valid_from > MAX_WINDOW:
        raise ConfigError(f"an appointment lasts at most {MAX_WINDOW.days} days")
    id_hash, last4 = document or hashed_id_number(request.id_number.get_secret_value(), hasher)
    row = AppointmentRow(
        appointment_id=new_grant_id("A", now),
        site=request.site,
        visitor_name=request.visitor_name.strip(),
        phone=check_phone(request.phone),
        id_hash=id_hash,
        id_last4=last4,
        host_unit=request.host_unit.strip(),
        purpose=request.purpose.strip(),
        gates=gates_text(request.gates),
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        once=request.once,
        status="requested",
        requested_by=by,
        requested_at=now,
        decision_note="",
    )
    session.add(row)
    _log(session, at=now, by=by, action="appointment.request", target=row.appointment_id,
         unit=row.host_unit, gates=row.gates)  # fmt: skip
    session.flush()
    return _shown(row)


def approve(
    *,
    session: Session,
    appointment_id: str,
    by: str,
    now: datetime,
    key: SigningKey,
    note: str = "",
) -> Approval:
    """Approve a requested appointment and issue its visitor code."""
    row = _row(session, appointment_id)
    _require_approver(session, row, by)
    if row.status != "requested":
        raise Refused(f"appointment {appointment_id} is {row.status}, not awaiting a decision")
    if row.valid_until <= now:
        raise Refused(f"appointment {appointment_id}'s window is already over")
    code, jti, expires = issue_grant_code(
        key, site=row.site, subject=row.appointment_id, typ="visitor",
        valid_until=row.valid_until, now=now, once=row.once,
    )  # fmt: skip
    row.status = "approved"
    row.decided_by, row.decided_at, row.decision_note = by, now, note
    row.code_jti, row.code_expires_at = jti, expires
    record_grant(session, jti=jti, subject=row.appointment_id, kid=key.kid, kind="visitor",
                 issued_at=now, valid_until=expires, issued_by=by)  # fmt: skip
    _log(session, at=now, by=by, action="appointment.approve", target=appointment_id, note=note)
    session.flush()
    return Approval(appointment=_shown(row), code=code)


def refuse(
    *, session: Session, appointment_id: str, by: str, now: datetime, reason: str
) -> Appointment:
    row = _row(session, appointment_id)
    _require_approver(session, row, by)
    if row.status != "requested":
        raise Refused(f"appointment {appointment_id} is {row.status}, not awaiting a decision")
    if not reason.strip():
        raise ConfigError("a refusal needs a reason")
    row.status = "refused"
    row.decided_by, row.decided_at, row.decision_note = by, now, reason.strip()
    _log(session, at=now, by=by, action="appointment.refuse", target=appointment_id, reason=reason)
    session.flush()
    return _shown(row)


def cancel(
    *, session: Session, appointment_id: str, by: str, now: datetime, reason: str
) -> Appointment:
    """Withdraw a request, or an approval (its code stops admitting at once)."""
    row = _row(session, appointment_id)
    if row.status in ("refused", "cancelled"):
        raise Refused(f"appointment {appointment_id} is already {row.status}")
    if row.status == "approved":
        _require_approver(session, row, by)
    elif by != row.requested_by and session.get(UnitApproverRow, (row.host_unit, by)) is None:
        raise Refused("only the requester or an approver of the host unit may cancel")
    row.status = "cancelled"
    row.decision_note = (row.decision_note + "; " if row.decision_note else "") + (
        f"cancelled by {by}: {reason.strip()}"
    )
    _log(session, at=now, by=by, action="appointment.cancel", target=appointment_id, reason=reason)
    session.flush()
    return _shown(row)


def get_appointment_row(row: AppointmentRow, role: Role | str = Role.ADMIN) -> Appointment:
    """A row read by another feature (e.g. joined with its visitor request), as shown."""
    return _shown(row, role)


def get_appointment(
    *, session: Session, appointment_id: str, role: Role | str = Role.ADMIN
) -> Appointment:
    return _shown(_row(session, appointment_id), role)


def list_appointments(
    *,
    session: Session,
    site: str | None = None,
    status: Sequence[str] | None = None,
    unit: str | None = None,
    day: date | None = None,
    tz: ZoneInfo | None = None,
    role: Role | str = Role.ADMIN,
    limit: int = 1000,
) -> list[Appointment]:
    """Appointments, newest first; ``day``: those whose window touches that local day."""
    query = select(AppointmentRow).order_by(AppointmentRow.requested_at.desc()).limit(limit)
    if site:
        query = query.where(AppointmentRow.site == site)
    if status:
        query = query.where(AppointmentRow.status.in_(list(status)))
    if unit:
        query = query.where(AppointmentRow.host_unit == unit)
    if day is not None:
        start, end = day_bounds(day, tz or site_zone())
        query = query.where(AppointmentRow.valid_from < end, AppointmentRow.valid_until >= start)
    return [_shown(row, role) for row in session.scalars(query)]
