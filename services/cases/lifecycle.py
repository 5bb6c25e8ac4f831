"""The isolation case as a state machine: pure, no I/O, no clock (DESIGN section 4).

    open ──ack──> acknowledged ──measure──> remeasured ─┬─> released (clinician, reason)
      │                                                 ├─> observation (room or home, until)
      └── every clinical step acknowledges on the way   ├─> referred (hospital, transfer time)
                                                        └─> suspected ──> confirmed

A case isolates its person at every gate in every state but ``released``; only
``release``, by a clinician, with a reason, ends it.  A re-measurement, however
low, never closes a case: it is recorded and the case stays where it was.  A
confirmed case suspends its person (休学) until a return (复学: date, certificate)
is recorded on the released case.  Every accepted action yields exactly one
timeline step (who, when, what), so no state changes silently.

:func:`apply` takes the case as it is, an action and who acts, and returns the
step to store, or raises :class:`CaseRefused` saying why not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from kernel.decision.reasons import Reason
from kernel.errors import Refused

CLINICAL_ROLES = frozenset({"clinic"})
"""Who may act on a case; every other role may at most look at it."""
MIN_CELSIUS, MAX_CELSIUS = Decimal("30"), Decimal("45")
"""A clinical reading outside these is a typing error, never a temperature (150 C)."""
TEXT_MAX = 500


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REMEASURED = "remeasured"
    OBSERVATION = "observation"
    REFERRED = "referred"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RELEASED = "released"


ISOLATING = frozenset(Status) - {Status.RELEASED}


class Origin(StrEnum):
    """What opened a case."""

    FEVER = Reason.FEVER.value  # a gate's isolate decision
    SYMPTOMS = Reason.SYMPTOMS.value  # recorded at the lane
    CLOSE_CONTACT = "close_contact"  # the clinic's hand, from a contact trace
    AUTHORITY = "authority"  # the health authority's list
    CHECKIN = "checkin"  # a daily check-in over the threshold or with symptoms
    MANUAL = "manual"


OPENED_BY_HAND = (
    Origin.CLOSE_CONTACT, Origin.AUTHORITY, Origin.SYMPTOMS, Origin.FEVER, Origin.MANUAL
)  # fmt: skip
Kind = Literal["conflict", "forbidden", "invalid"]


class CaseRefused(Refused):
    """An action the case's rules do not allow; ``code`` says which rule, ``kind`` how bad."""

    def __init__(self, code: str, detail: str = "", kind: Kind = "conflict") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class CaseState:
    """What the rules need to know of a case."""

    status: Status = Status.OPEN
    acknowledged: bool = False
    confirmed: bool = False
    returned: bool = False
    opened_at: datetime | None = None


# -- actions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acknowledge:
    pass


@dataclass(frozen=True, slots=True)
class Measure:
    celsius: Decimal


@dataclass(frozen=True, slots=True)
class Observe:
    place: Literal["room", "home"]
    start: datetime
    until: datetime
    room: str = ""


@dataclass(frozen=True, slots=True)
class Refer:
    hospital: str
    transfer_at: datetime


@dataclass(frozen=True, slots=True)
class Suspect:
    note: str = ""


@dataclass(frozen=True, slots=True)
class Confirm:
    note: str = ""


@dataclass(frozen=True, slots=True)
class Release:
    reason: str


@dataclass(frozen=True, slots=True)
class Return:
    on: date
    certificate: str


Action = Acknowledge | Measure | Observe | Refer | Suspect | Confirm | Release | Return


@dataclass(frozen=True, slots=True)
class Step:
    """One accepted action: the case after it, and the timeline lines it adds (in order)."""

    state: CaseState
    events: tuple[tuple[str, str], ...]  # (kind, detail)


def _text(value: str, what: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise CaseRefused(f"{what}_required", f"a {what} is required", "invalid")
    if len(value) > TEXT_MAX or any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise CaseRefused(
            f"bad_{what}", f"the {what} is too long or has control characters", "invalid"
        )
    return value


def celsius_text(celsius: Decimal) -> str:
    return f"{celsius:.1f} °C"


def apply(state: CaseState, action: Action, actor: Actor) -> Step:
    """The step ``action`` by ``actor`` makes on ``state``, or :class:`CaseRefused`."""
    if actor.role not in CLINICAL_ROLES:
        raise CaseRefused("not_clinician", f"{actor.role} may not act on a case", "forbidden")
    if isinstance(action, Return):
        return _return(state, action)
    if state.status is Status.RELEASED:
        raise CaseRefused("case_released", "the case is released; nothing more to do")
    if isinstance(action, Acknowledge):
        if state.acknowledged:
            raise CaseRefused("already_acknowledged", "the case is already acknowledged")
        return Step(
            replace(state, status=Status.ACKNOWLEDGED, acknowledged=True), (("acknowledged", ""),)
        )
    ack: tuple[tuple[str, str], ...] = () if state.acknowledged else (("acknowledged", ""),)
    state = replace(
        state,
        acknowledged=True,
        status=Status.ACKNOWLEDGED if state.status is Status.OPEN else state.status,
    )
    after, event = _clinical(state, action)
    return Step(after, (*ack, event))


def _clinical(state: CaseState, action: Action) -> tuple[CaseState, tuple[str, str]]:
    """The clinical actions on an acknowledged, unreleased case."""
    if isinstance(action, Measure):
        if not MIN_CELSIUS <= action.celsius <= MAX_CELSIUS:
            raise CaseRefused(
                "implausible_reading", f"{action.celsius} °C is not a body temperature", "invalid"
            )
        # A reading never moves a case on but from "acknowledged" to "remeasured".
        status = Status.REMEASURED if state.status is Status.ACKNOWLEDGED else state.status
        return replace(state, status=status), ("remeasured", celsius_text(action.celsius))
    if isinstance(action, Observe):
        if action.until <= action.start:
            raise CaseRefused(
                "observation_ends_before_start",
                "the planned end must come after the start",
                "invalid",
            )
        if state.confirmed:
            raise CaseRefused("case_confirmed", "a confirmed case is not sent to observation")
        room = _text(action.room, "room", required=action.place == "room")
        where = f"{action.place} {room}".strip()
        detail = f"{where}: {action.start.isoformat()} – {action.until.isoformat()}"
        return replace(state, status=Status.OBSERVATION), ("observation", detail)
    if isinstance(action, Refer):
        hospital = _text(action.hospital, "hospital")
        detail = f"{hospital}, {action.transfer_at.isoformat()}"
        return replace(state, status=Status.REFERRED), ("referred", detail)
    if isinstance(action, Suspect):
        if state.confirmed:
            raise CaseRefused("case_confirmed", "the case is already confirmed")
        return replace(state, status=Status.SUSPECTED), (
            "suspected",
            _text(action.note, "note", required=False),
        )
    if isinstance(action, Confirm):
        if state.confirmed:
            raise CaseRefused("case_confirmed", "the case is already confirmed")
        note = _text(action.note, "note", required=False)
        return replace(state, status=Status.CONFIRMED, confirmed=True), ("confirmed", note)
    assert isinstance(action, Release)
    reason = _text(action.reason, "reason")
    return replace(state, status=Status.RELEASED), ("released", reason)


def _return(state: CaseState, action: Return) -> Step:
    if not state.confirmed:
        raise CaseRefused("not_suspended", "only a confirmed case suspends; nothing to return from")
    if state.status is not Status.RELEASED:
        raise CaseRefused("case_not_released", "the case must be released before the return")
    if state.returned:
        raise CaseRefused("already_returned", "the return is already recorded")
    if state.opened_at is not None and action.on < state.opened_at.date():
        raise CaseRefused("return_before_case", "the return date is before the case", "invalid")
    certificate = _text(action.certificate, "certificate")
    detail = f"{action.on.isoformat()}, {certificate}"
    return Step(replace(state, returned=True), (("returned", detail),))


def isolates(state: CaseState) -> bool:
    """The person is held at the gates (isolate ``isolation_pending``)."""
    return state.status in ISOLATING


def suspends(state: CaseState) -> bool:
    """The person is suspended (deny ``suspended``) until the return is recorded."""
    return state.confirmed and not state.returned
