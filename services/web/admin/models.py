"""Request and response models of the administration API."""

from __future__ import annotations

from datetime import datetime
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

from schemas.names import NAME_PATTERN, GateName
from services.appointments.service import Appointment
from services.passes.service import TempPass
from services.policy.service import PolicyVersion, ResponseLevel
from services.web.api.models import PLAIN, Reason

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PLAIN)
]
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _plausible(value: datetime) -> datetime:
    """Years people mean: far-off ones would overflow on the way to UTC or the database."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


When = Annotated[AwareDatetime, AfterValidator(_plausible)]
PersonId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppointmentForm(Model):
    """A visitor's request, filled in by the host (the ID number is hashed on arrival)."""

    visitor_name: Text
    phone: Annotated[str, StringConstraints(max_length=32, pattern=PLAIN)] = ""
    id_number: Annotated[SecretStr, Field(min_length=15, max_length=18)]
    host_unit: Text
    purpose: Annotated[str, StringConstraints(max_length=1000, pattern=PLAIN)] = ""
    gates: Annotated[list[GateName | Literal["*"]], Field(min_length=1, max_length=32)]
    valid_from: When
    valid_until: When
    once: bool = False


class ApproveRequest(Model):
    note: Annotated[str, StringConstraints(max_length=500, pattern=PLAIN)] = ""


class RefuseRequest(Model):
    reason: Reason


class ApprovalView(Model):
    """The approved appointment, its visitor code and that code as a QR image (PNG, base64)."""

    appointment: Appointment
    code: str
    qr_png: str


class PolicyView(Model):
    current: PolicyVersion | None
    levels: list[ResponseLevel]


class LevelSwitch(Model):
    level: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    reason: Reason
    # The level would replace hand-set values: the admin saw them and confirms.
    replace_hand_set: bool = False
    # The version the admin looked at: refused (409) if another was saved since.
    base_version: Annotated[int, Field(ge=0, le=2**31)] | None = None


class PassForm(Model):
    """A temporary pass of a category: who, where, when, how many uses."""

    category: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    holder_name: Text
    phone: Annotated[str, StringConstraints(max_length=32, pattern=PLAIN)] = ""
    id_number: Annotated[SecretStr, Field(min_length=15, max_length=18)]
    person_id: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None
    ) = None
    unit: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] = ""
    reason: Annotated[str, StringConstraints(max_length=1000, pattern=PLAIN)] = ""
    gates: Annotated[list[GateName | Literal["*"]], Field(min_length=1, max_length=32)]
    valid_from: When
    valid_until: When
    max_uses: Annotated[int, Field(ge=1, le=100_000)] | None = None
    once: bool = False


class IssuedPassView(Model):
    """The issued pass, its code and that code as a QR image (PNG, base64)."""

    temp_pass: TempPass
    code: str
    qr_png: str


class RevokeRequest(Model):
    reason: Reason


class ApproverView(Model):
    """A user who decides the appointments of a host unit."""

    unit: Text
    approver: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
