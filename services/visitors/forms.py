"""What a visitor fills in on the public page (and a guard for a walk-in), checked whole.

Names, phone numbers and places may not carry markup or control characters (a
visitor has no use for ``<``); the purpose is free text, stored as typed and
always shown escaped.  The document number is a ``SecretStr``: it is hashed on
arrival and only its last four characters are kept.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from schemas.names import GateName

# No control characters, no markup: what a name, a phone or a place never needs.
NAME_CHARS = r"^[^\x00-\x1f\x7f<>&\"'`]*$"
FREE_CHARS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MAX_COMPANIONS = 10
MAX_PLACES = 20

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NAME_CHARS)
]
Unit = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NAME_CHARS)
]
Place = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NAME_CHARS)
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^1[3-9][0-9]{9}$")]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^([^@\s<>\"'`\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,24})?$",
    ),
]
PlateText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16, pattern=NAME_CHARS)
]
DocumentType = Literal["id_card", "passport", "hk_macao_permit", "taiwan_permit"]
DocumentNumber = Annotated[SecretStr, Field(min_length=5, max_length=18)]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VisitorForm(Model):
    """A visitor's own request: who, whom, why, when, with whom, by which car, how healthy."""

    visitor_name: Name
    phone: Phone
    document_type: DocumentType = "id_card"
    document_number: DocumentNumber
    host_unit: Unit
    host_person: Name
    purpose: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=FREE_CHARS),
    ]
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    companions: Annotated[
        list[Name], Field(max_length=MAX_COMPANIONS), AfterValidator(_distinct)
    ] = []
    plate: PlateText = ""
    email: Email = ""
    fever_free: bool
    last_test_on: date | None = None
    places: Annotated[list[Place], Field(max_length=MAX_PLACES), AfterValidator(_distinct)] = []
    guarantor: Name


class WalkInForm(Model):
    """A walk-in registered by the guard at the lane (登记): the host unit's approvers decide."""

    visitor_name: Name
    phone: Phone
    document_type: DocumentType = "id_card"
    document_number: DocumentNumber
    host_unit: Unit
    host_person: Name = "-"
    purpose: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=FREE_CHARS),
    ] = "walk-in"
    gate: GateName
    fever_free: bool = True
