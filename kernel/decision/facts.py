"""The facts a decision is taken on: who, which codes, the gate's state, the time.

Facts are plain frozen values gathered before :func:`decide` runs, by the
central service from its database or by a gate from its snapshot; ``decide``
itself reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CodeStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # bad format, forged signature, unknown key
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    USED = "used"  # a one-time code seen before


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """One scanned signed code after verification (claims empty when invalid)."""

    status: CodeStatus
    typ: str | None = None  # "id" | "health" | "visitor" | "pass"
    subject: str | None = None
    jti: str | None = None
    once: bool = False
    health: str | None = None  # "green" | "yellow" | "red" (health codes)
    last_negative_test: datetime | None = None
    risk: bool | None = None


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A whitelisted person as the roster has them."""

    person_id: str
    name: str
    kind: str  # "student", "staff", "family", "visitor", ...
    masked_id: str
    active: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    gates: frozenset[str] | None = None  # None: every gate
    return_approved: bool = True  # only meaningful for students
    household: str | None = None
    open_case_id: str | None = None
    suspended: bool = False  # a confirmed case and no return (复学) yet


@dataclass(frozen=True, slots=True)
class AppointmentFacts:
    """An approved visitor appointment (administration issue)."""

    appointment_id: str
    visitor_name: str
    gates: frozenset[str] | None
    valid_from: datetime
    valid_until: datetime
    masked_id: str = ""  # the visitor's ID number as shown at the lane


@dataclass(frozen=True, slots=True)
class PassFacts:
    """A temporary pass by category (administration issue)."""

    pass_id: str
    category: str
    gates: frozenset[str] | None
    valid_from: datetime
    valid_until: datetime
    uses_left: int | None = None
    holder_name: str = ""  # shown at the lane like a roster person's name
    masked_id: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything known about one passage besides the passage and the policy."""

    now: datetime
    gate_locked: bool = False
    codes: tuple[CodeFacts, ...] = ()
    # Unsigned identifiers (card numbers, typed IDs) that resolved to nobody or
    # were presented where the policy does not accept them.
    plain_ids: tuple[str, ...] = ()
    person: PersonFacts | None = None
    appointment: AppointmentFacts | None = None
    temp_pass: PassFacts | None = None
    quota_exceeded: bool = False
    # A vehicle passage: whether its plate is whitelisted or booked now (None: on foot).
    plate_allowed: bool | None = None
