"""PINs for the my-code page: set from an enrolment link, checked with rate limits.

Hashed with argon2id like the web passwords.  Failed attempts are counted per
person and per address over :data:`WINDOW`; past :data:`PER_PERSON` (or
:data:`PER_ADDRESS`) failures that person (or address) is locked out until the
window has passed, a correct PIN included, so guessing a 6-digit PIN takes
years, not minutes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from services.storage.enrol_models import PersonPinRow, PinAttemptRow
from services.storage.models import PersonRow

PIN_RE = re.compile(r"^[0-9]{6,12}$")
WINDOW = timedelta(minutes=15)
PER_PERSON = 5
PER_ADDRESS = 20
_HASHER = PasswordHasher()


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown person, no PIN yet or a wrong PIN: one answer for all
    LOCKED = "locked"


def check_format(pin: str) -> None:
    if not PIN_RE.fullmatch(pin):
        raise ConfigError("a PIN is 6 to 12 digits")


def set_pin(session: Session, person_id: str, pin: str, *, now: datetime) -> None:
    check_format(pin)
    row = session.get(PersonPinRow, person_id)
    if row is None:
        session.add(PersonPinRow(person_id=person_id, pin_hash=_HASHER.hash(pin), set_at=now))
    else:
        row.pin_hash, row.set_at = _HASHER.hash(pin), now


def _failures(session: Session, match: ColumnElement[bool], now: datetime) -> int:
    query = select(func.count()).select_from(PinAttemptRow).where(
        match, PinAttemptRow.at > now - WINDOW, PinAttemptRow.ok.is_(False))  # fmt: skip
    return int(session.scalar(query) or 0)


def locked(session: Session, person_id: str, remote: str, *, now: datetime) -> bool:
    return (
        _failures(session, PinAttemptRow.person_id == person_id[:64], now) >= PER_PERSON
        or _failures(session, PinAttemptRow.remote == remote[:64], now) >= PER_ADDRESS
    )


def check_pin(session: Session, person_id: str, pin: str, remote: str, *, now: datetime
              ) -> PinCheck:  # fmt: skip
    """Check a sign-in attempt and record it (the caller commits, even on WRONG)."""
    if locked(session, person_id, remote, now=now):
        return PinCheck.LOCKED
    ok = _verify(session, person_id, pin)
    session.add(PinAttemptRow(person_id=person_id[:64], remote=remote[:64], at=now, ok=ok))
    return PinCheck.OK if ok else PinCheck.WRONG


def _verify(session: Session, person_id: str, pin: str) -> bool:
    if not PIN_RE.fullmatch(pin) or len(person_id) > 64:
        return False
    row = session.get(PersonPinRow, person_id)
    person = session.get(PersonRow, person_id)
    if row is None or person is None or not person.active:
        return False
    try:
        return _HASHER.verify(row.pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
