"""Walk-ins (登记): a guard registers a visitor at the lane; the host unit's approvers answer.

The walk-in is a one-time appointment for that gate from now until the end of the
walk-in window; its deadline (``answer_by``) is when, unanswered, it is refused by
``system`` (``review.expire_walkins``).  The guard's kiosk asks for the answer with
the appointment id; once approved it shows the visitor code to scan at the lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import SecretStr
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, NotFound
from services.appointments import service as appointments
from services.identity import IdHasher
from services.storage.models import AppointmentRow
from services.storage.visitor_models import VisitorRequestRow
from services.visitors.forms import WalkInForm
from services.visitors.requests import document_hash
from services.visitors.review import expire_walkins
from services.visitors.units import approvers_of, require_unit

WALKIN_WINDOW = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class WalkIn:
    appointment_id: str
    unit: str
    approvers: tuple[str, ...]  # who is told at once
    answer_by: datetime


@dataclass(frozen=True, slots=True)
class WalkInAnswer:
    appointment_id: str
    status: str  # requested | approved | refused | cancelled
    decided_by: str | None
    note: str
    code: str | None  # the visitor code to scan, once approved
    answer_by: datetime | None


def register_walkin(
    *,
    session: Session,
    site: str,
    form: WalkInForm,
    hasher: IdHasher,
    by: str,
    now: datetime,
    answer_within: timedelta,
) -> WalkIn:
    unit = require_unit(session=session, unit=form.host_unit)
    if not form.fever_free:
        raise ConfigError("a visitor with a fever or symptoms goes to the clinic, not in")
    document = document_hash(form.document_type, form.document_number, hasher)
    made = appointments.request_appointment(
        session=session,
        request=appointments.AppointmentRequest(
            site=site, visitor_name=form.visitor_name, phone=form.phone, id_number=SecretStr(""),
            host_unit=unit, purpose=form.purpose, gates=[form.gate], valid_from=now,
            valid_until=now + WALKIN_WINDOW, once=True,
        ),
        hasher=hasher, by=by, now=now, document=document,
    )  # fmt: skip
    answer_by = now + answer_within
    session.add(
        VisitorRequestRow(
            appointment_id=made.appointment_id, source="walkin", host_person=form.host_person,
            guarantor="", companions="", plate="", email="", fever_free=form.fever_free,
            last_test_on="", places="", risk_places="", token_hash=None, answer_by=answer_by,
            gate=form.gate,
        )
    )  # fmt: skip
    session.flush()
    approvers = tuple(approvers_of(session=session, unit=unit))
    return WalkIn(made.appointment_id, unit, approvers, answer_by)


def walkin_answer(
    *, session: Session, appointment_id: str, gate: str, now: datetime
) -> WalkInAnswer:
    """The answer to a walk-in registered at ``gate`` (NotFound for another gate's)."""
    expire_walkins(session=session, now=now)
    extra = session.get(VisitorRequestRow, appointment_id)
    row = session.get(AppointmentRow, appointment_id)
    if extra is None or row is None or extra.source != "walkin" or extra.gate != gate:
        raise NotFound(f"no walk-in {appointment_id!r} at gate {gate}")
    live = row.status == "approved" and row.valid_until > now
    return WalkInAnswer(
        appointment_id=appointment_id,
        status=row.status,
        decided_by=row.decided_by,
        note=row.decision_note,
        code=extra.code if live else None,
        answer_by=extra.answer_by,
    )
