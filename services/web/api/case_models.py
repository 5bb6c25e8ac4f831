"""Request models of the case lifecycle's API (services/cases/lifecycle.py says the rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from services.cases.lifecycle import Origin
from services.web.api.models import PLAIN, Model

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=PLAIN)]
Needed = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=PLAIN)
]
Short = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PLAIN)
]
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _sane(value: datetime) -> datetime:
    """A time people mean (this century), in UTC; year 9999 at -01:00 would overflow."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise ValueError(f"a time between {FIRST_YEAR} and {LAST_YEAR}")
    return utc


def _sane_day(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a date between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_sane)]
Day = Annotated[date, AfterValidator(_sane_day)]
PersonId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class OpenOrigin(StrEnum):
    """What the clinic may open a case for by hand."""

    CLOSE_CONTACT = Origin.CLOSE_CONTACT.value
    AUTHORITY = Origin.AUTHORITY.value
    SYMPTOMS = Origin.SYMPTOMS.value
    FEVER = Origin.FEVER.value  # found at the clinic, not at a gate
    MANUAL = Origin.MANUAL.value


class ObserveRequest(Model):
    place: Literal["room", "home"]
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64, pattern=PLAIN)] = (
        ""
    )
    start: Moment | None = None  # default: now
    until: Moment


class ReferRequest(Model):
    hospital: Short
    transfer_at: Moment


class NoteRequest(Model):
    note: Note = ""


class ReleaseRequest(Model):
    reason: Needed


class ReturnRequest(Model):
    returned_on: Day
    certificate: Short


class OpenRequest(Model):
    person_id: PersonId
    origin: OpenOrigin = OpenOrigin.CLOSE_CONTACT
    note: Note = ""


class OpenManyRequest(Model):
    """Isolate several people at once (a contact trace's result)."""

    person_ids: Annotated[list[PersonId], Field(min_length=1, max_length=1000)]
    origin: OpenOrigin = OpenOrigin.CLOSE_CONTACT
    note: Note = ""


class OpenedCase(Model):
    case_id: str
    person_id: str
    new: bool  # False: joined the case already isolating them


class OpenManyResult(Model):
    opened: list[OpenedCase]
    unknown: list[str]  # ids that name nobody in the roster
