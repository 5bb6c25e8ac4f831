"""A visitor's own request from the public page: checked whole, stored whole, or not at all.

The request becomes an appointment of the host unit (``services.appointments``)
plus its ``visitor_requests`` row (health attestation, guarantor, companions, plate,
the status link's hashed token).  Everything is checked before the first row is
added, so a refusal stores nothing of the request; the one thing kept of a refused
attempt is its address and time, which the rate limits count.

The status link's token is random (192 bits) and only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, Refused
from kernel.plates import normalise_plate
from services.appointments import service as appointments
from services.grants import hashed_id_number
from services.identity import IdHasher
from services.storage.models import PersonRow
from services.storage.visitor_models import PublicRequestRow, VisitorRequestRow
from services.visitors.forms import DocumentType, VisitorForm
from services.visitors.risk import matching, risk_areas
from services.visitors.units import require_unit

TOKEN_BYTES = 24
PAST_GRACE = timedelta(minutes=5)  # a window may start a little before the form is sent


@dataclass(frozen=True, slots=True)
class VisitorPolicy:
    """Bounds of a visitor's request (``web.visitors`` settings)."""

    max_window: timedelta = timedelta(hours=12)
    max_ahead: timedelta = timedelta(days=14)
    per_address: int = 20  # requests (good or bad) from one address per address_window
    address_window: timedelta = timedelta(minutes=10)
    per_phone: int = 3  # accepted requests per phone number per phone_window
    phone_window: timedelta = timedelta(days=1)
    test_days: int = 2  # a nucleic-acid test older than this is flagged to the approver


class TooManyRequests(Refused):
    """Too many requests from one address or for one phone number."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def document_hash(kind: DocumentType, number: SecretStr, hasher: IdHasher) -> tuple[str, str]:
    """(keyed hash, last four) of a document; a resident ID is checked digit by digit."""
    value = number.get_secret_value()
    if kind == "id_card":
        return hashed_id_number(value, hasher)
    cleaned = value.replace(" ", "").strip().upper()
    if not cleaned.isalnum() or not 5 <= len(cleaned) <= 18:
        raise ConfigError("a document number is 5-18 letters and digits")
    return hasher.hash(f"{kind}:{cleaned}"), cleaned[-4:]


def note_attempt(*, session: Session, address: str, now: datetime, policy: VisitorPolicy) -> None:
    """Count one request from ``address``; TooManyRequests past the limit (the caller commits)."""
    since = now - policy.address_window
    seen = session.scalar(
        select(func.count())
        .select_from(PublicRequestRow)
        .where(PublicRequestRow.address == address[:64], PublicRequestRow.at >= since)
    )
    if (seen or 0) >= policy.per_address:
        raise TooManyRequests("too many requests from this address; try again later")
    session.add(PublicRequestRow(address=address[:64], phone_hash="", at=now))


def _check_phone_limit(
    session: Session, phone_hash: str, now: datetime, policy: VisitorPolicy
) -> None:
    since = now - policy.phone_window
    seen = session.scalar(
        select(func.count())
        .select_from(PublicRequestRow)
        .where(PublicRequestRow.phone_hash == phone_hash, PublicRequestRow.at >= since)
    )
    if (seen or 0) >= policy.per_phone:
        raise TooManyRequests("too many requests for this phone number today")


def check_window(valid_from: datetime, valid_until: datetime, now: datetime,
                 policy: VisitorPolicy) -> None:  # fmt: skip
    if valid_until <= valid_from:
        raise ConfigError("the visit ends before it starts")
    if valid_from < now - PAST_GRACE:
        raise ConfigError("the visit starts in the past")
    if valid_until - valid_from > policy.max_window:
        hours = int(policy.max_window.total_seconds() // 3600)
        raise ConfigError(f"a visit lasts at most {hours} hours")
    if valid_from > now + policy.max_ahead:
        raise ConfigError(f"a visit is requested at most {policy.max_ahead.days} days ahead")


def check_guarantor(session: Session, unit: str, guarantor: str) -> None:
    """The guarantor (担保人) is an active person of the host unit on the roster."""
    found = session.scalar(
        select(PersonRow.person_id)
        .where(PersonRow.unit == unit, PersonRow.name == guarantor, PersonRow.active.is_(True))
        .limit(1)
    )
    if found is None:
        raise ConfigError("the guarantor must be a member of the host unit")


def check_health(form: VisitorForm, today: date) -> None:
    if not form.fever_free:
        raise ConfigError(
            "with a fever or symptoms a visit cannot be requested; see a doctor first"
        )
    if form.last_test_on is not None and form.last_test_on > today:
        raise ConfigError("the nucleic-acid test date is in the future")


@dataclass(frozen=True, slots=True)
class Submitted:
    appointment_id: str
    token: str  # for the status link; shown once, never stored
    risk_places: tuple[str, ...]


def submit_request(
    *,
    session: Session,
    site: str,
    form: VisitorForm,
    hasher: IdHasher,
    now: datetime,
    tz: ZoneInfo,
    policy: VisitorPolicy,
) -> Submitted:
    """Check everything, then store the appointment and its visitor row (the caller commits)."""
    unit = require_unit(session=session, unit=form.host_unit)
    check_window(form.valid_from, form.valid_until, now, policy)
    check_health(form, now.astimezone(tz).date())
    plate = normalise_plate(form.plate) if form.plate.strip() else ""
    check_guarantor(session, unit, form.guarantor)
    id_hash, last4 = document_hash(form.document_type, form.document_number, hasher)
    phone_hash = hasher.hash(f"phone:{form.phone}")
    _check_phone_limit(session, phone_hash, now, policy)
    flagged = matching(list(form.places), risk_areas(session=session, site=site))
    made = appointments.request_appointment(
        session=session,
        request=appointments.AppointmentRequest(
            site=site, visitor_name=form.visitor_name, phone=form.phone,
            id_number=SecretStr(""), host_unit=unit, purpose=form.purpose, gates=["*"],
            valid_from=form.valid_from, valid_until=form.valid_until, once=True,
        ),
        hasher=hasher, by="visitor", now=now, document=(id_hash, last4),
    )  # fmt: skip
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        VisitorRequestRow(
            appointment_id=made.appointment_id, source="self", host_person=form.host_person,
            guarantor=form.guarantor, companions="\n".join(form.companions), plate=plate,
            email=form.email, fever_free=form.fever_free,
            last_test_on=form.last_test_on.isoformat() if form.last_test_on else "",
            places="\n".join(form.places), risk_places="\n".join(flagged),
            token_hash=token_hash(token), gate="",
        )
    )  # fmt: skip
    session.add(PublicRequestRow(address="", phone_hash=phone_hash, at=now))
    session.flush()
    return Submitted(made.appointment_id, token, tuple(flagged))
