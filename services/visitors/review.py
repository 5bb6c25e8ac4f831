"""The host unit's side: what waits for an approver, the decision, the visitor's status link.

Deciding is ``services.appointments``' (only an approver of the host unit may; who,
when and why recorded); here the decision is also kept where the visitor sees it:
the visitor code on the status link, the e-mail address to send it to.  Walk-ins
nobody answered in time are refused here, by ``system``, and logged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kernel.codes import SigningKey
from kernel.errors import NotFound, Refused
from kernel.masking import mask_name
from services.appointments import service as appointments
from services.storage.audit_log import log_action
from services.storage.models import AppointmentRow
from services.storage.visitor_models import VisitorRequestRow
from services.visitors.requests import token_hash
from services.visitors.units import approver_units

UNANSWERED = "unanswered in time"
LIST_LIMIT = 500


class Pending(BaseModel):
    """An appointment as its approver sees it, with what the visitor declared."""

    model_config = ConfigDict(frozen=True)

    appointment: appointments.Appointment
    source: str  # self | walkin | event | admin (made on the administration page)
    host_person: str
    guarantor: str
    companions: list[str]
    plate: str
    fever_free: bool
    last_test_on: str
    places: list[str]
    risk_places: list[str]
    answer_by: datetime | None
    gate: str
    batch: str  # an event list's requests share it (approved in one action)


class VisitorStatus(BaseModel):
    """What the status link shows: the state, and the code once approved."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    visitor_name: str  # masked: the link may be forwarded
    host_unit: str
    status: str
    valid_from: datetime
    valid_until: datetime
    note: str
    code: str | None


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def _pending(row: AppointmentRow, extra: VisitorRequestRow | None) -> Pending:
    return Pending(
        appointment=appointments.get_appointment_row(row),
        source=extra.source if extra else "admin",
        host_person=extra.host_person if extra else "",
        guarantor=extra.guarantor if extra else "",
        companions=_lines(extra.companions) if extra else [],
        plate=extra.plate if extra else "",
        fever_free=extra.fever_free if extra else True,
        last_test_on=extra.last_test_on if extra else "",
        places=_lines(extra.places) if extra else [],
        risk_places=_lines(extra.risk_places) if extra else [],
        answer_by=extra.answer_by if extra else None,
        gate=extra.gate if extra else "",
        batch=extra.batch if extra else "",
    )


def unit_appointments(
    *,
    session: Session,
    site: str,
    units: frozenset[str],
    status: list[str] | None = None,
    since: datetime | None = None,
) -> list[Pending]:
    """Appointments of ``units`` (newest first), with their visitor rows."""
    if not units:
        return []
    query = (
        select(AppointmentRow, VisitorRequestRow)
        .outerjoin(
            VisitorRequestRow, VisitorRequestRow.appointment_id == AppointmentRow.appointment_id
        )
        .where(AppointmentRow.site == site, AppointmentRow.host_unit.in_(sorted(units)))
        .order_by(AppointmentRow.requested_at.desc())
        .limit(LIST_LIMIT)
    )
    if status:
        query = query.where(AppointmentRow.status.in_(status))
    if since is not None:
        query = query.where(AppointmentRow.valid_until >= since)
    return [_pending(row, extra) for row, extra in session.execute(query)]


def pending_for(*, session: Session, site: str, username: str, now: datetime) -> list[Pending]:
    """What waits for ``username``'s decision: requests of the units they approve for."""
    expire_walkins(session=session, now=now)
    units = approver_units(session=session, username=username)
    return unit_appointments(session=session, site=site, units=units, status=["requested"])


def approve(
    *, session: Session, appointment_id: str, by: str, now: datetime, key: SigningKey, note: str
) -> tuple[appointments.Approval, str]:
    """Approve (approvers of the host unit only): the code, and where to e-mail it ('' if not)."""
    expire_walkins(session=session, now=now)
    approval = appointments.approve(
        session=session, appointment_id=appointment_id, by=by, now=now, key=key, note=note
    )
    extra = session.get(VisitorRequestRow, appointment_id)
    if extra is None:
        return approval, ""
    extra.code = approval.code
    session.flush()
    return approval, extra.email


def refuse(
    *, session: Session, appointment_id: str, by: str, now: datetime, reason: str
) -> appointments.Appointment:
    expire_walkins(session=session, now=now)
    return appointments.refuse(
        session=session, appointment_id=appointment_id, by=by, now=now, reason=reason
    )


def status_of(*, session: Session, token: str, now: datetime) -> VisitorStatus:
    """The request behind a status link (NotFound for any token that is not one)."""
    expire_walkins(session=session, now=now)
    extra = session.scalar(
        select(VisitorRequestRow).where(VisitorRequestRow.token_hash == token_hash(token))
    )
    row = session.get(AppointmentRow, extra.appointment_id) if extra is not None else None
    if extra is None or row is None:
        raise NotFound("no such request")
    live = row.status == "approved" and row.valid_until > now
    return VisitorStatus(
        appointment_id=row.appointment_id,
        visitor_name=mask_name(row.visitor_name),
        host_unit=row.host_unit,
        status=row.status,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        note=row.decision_note if row.status in ("refused", "cancelled") else "",
        code=extra.code if live else None,
    )


def expire_walkins(*, session: Session, now: datetime) -> list[str]:
    """Refuse the walk-ins nobody answered by their deadline (``system``, logged).

    Each refusal is a conditional update (still ``requested``), so two processes that
    sweep at once refuse and log each walk-in once.
    """
    query = (
        select(AppointmentRow.appointment_id, AppointmentRow.host_unit)
        .join(VisitorRequestRow, VisitorRequestRow.appointment_id == AppointmentRow.appointment_id)
        .where(
            VisitorRequestRow.answer_by.is_not(None),
            VisitorRequestRow.answer_by <= now,
            AppointmentRow.status == "requested",
        )
    )
    expired = []
    for appointment_id, unit in session.execute(query).all():
        result = session.execute(
            update(AppointmentRow)
            .where(AppointmentRow.appointment_id == appointment_id,
                   AppointmentRow.status == "requested")
            .values(status="refused", decided_by="system", decided_at=now,
                    decision_note=UNANSWERED)
            .execution_options(synchronize_session="fetch")
        )  # fmt: skip
        if getattr(result, "rowcount", 0):
            log_action(session, at=now, actor="system", action="appointment.expire",
                       target=appointment_id, params={"unit": unit})  # fmt: skip
            expired.append(appointment_id)
    session.flush()
    return expired


def recent_decisions(
    *, session: Session, site: str, now: datetime, days: int = 7, role: str = "admin"
) -> list[appointments.Appointment]:
    """Every decision on an appointment in the last ``days`` (for the security office)."""
    if days < 1:
        raise Refused("days must be at least 1")
    query = (
        select(AppointmentRow)
        .where(
            AppointmentRow.site == site,
            AppointmentRow.decided_at.is_not(None),
            AppointmentRow.decided_at >= now - timedelta(days=days),
        )
        .order_by(AppointmentRow.decided_at.desc())
        .limit(LIST_LIMIT)
    )
    return [appointments.get_appointment_row(row, role) for row in session.scalars(query)]
