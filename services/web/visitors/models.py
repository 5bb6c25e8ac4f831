"""Request and response models of the visitor, unit and walk-in API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.visitors.forms import NAME_CHARS
from services.web.admin.models import When

Unit = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NAME_CHARS)
]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
AreaName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NAME_CHARS)
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Submission(Model):
    """A request received: its id, and the status link (keep it: it is the only way back)."""

    appointment_id: str
    status_url: str
    risk_flagged: bool


class OfficerView(Model):
    unit: Unit
    officer: Username


class RiskArea(Model):
    name: AreaName


class WalkInView(Model):
    """A walk-in registered: the host unit's approvers are told; answer expected by then."""

    appointment_id: str
    unit: str
    approvers: int
    answer_by: datetime


class WalkInAnswerView(Model):
    appointment_id: str
    status: str
    decided_by: str | None
    note: str
    code: str | None
    answer_by: datetime | None


class PlateRef(Model):
    plate: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]


class PlateForm(PlateRef):
    """A staff car on the whitelist; no dates: valid until removed."""

    owner: Annotated[str, StringConstraints(max_length=200, pattern=NAME_CHARS)] = ""
    unit: Annotated[str, StringConstraints(max_length=200, pattern=NAME_CHARS)] = ""
    valid_from: When | None = None
    valid_until: When | None = None
