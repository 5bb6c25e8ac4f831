"""Request and response models of the JSON API; the pages render the same views."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kernel.decision.reasons import Reason as DecisionReason
from schemas.names import GateName
from services.web.auth.roles import Role
from ui.i18n import Lang

Outcome = Literal["admit", "recheck", "deny", "isolate"]
CommandName = Literal["lockdown", "release", "open", "sync"]
# What a person may type: the clinical and handheld readings of a human body.
EnteredCelsius = Annotated[Decimal, Field(ge=Decimal("30"), le=Decimal("45"), decimal_places=2)]
# Free text people type: no control characters (PostgreSQL refuses NUL in text, logs hate them).
PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200, pattern=PLAIN)
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- session and users ----------------------------------------------------------------


class LoginRequest(Model):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PLAIN)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class SessionView(Model):
    username: str
    role: Role
    gates: list[str]
    lang: Lang
    csrf_token: str
    expires_at: datetime


class LangRequest(Model):
    lang: Lang


class UserView(Model):
    username: str
    role: Role
    gates: list[str]
    lang: Lang
    active: bool
    created_at: datetime


class NewUserRequest(Model):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
    password: Annotated[str, Field(min_length=8, max_length=256)]
    role: Role
    gates: Annotated[list[GateName], Field(max_length=100)] = Field(default_factory=list)
    lang: Lang = "zh-CN"


class UserActiveRequest(Model):
    active: bool


class DeadLetterView(Model):
    id: int
    notice_id: str
    channel: str
    target: str
    kind: str
    error: str
    attempts: int
    created_at: datetime
    resolved_at: datetime | None


# -- gates ------------------------------------------------------------------------------


class DeviceView(Model):
    name: str
    state: str
    detail: str


class SnapshotView(Model):
    version: int
    checksum: str
    taken_at: datetime
    age_s: float


class GateView(Model):
    gate: str
    online: bool | None  # None: the gate never reported
    mode: str | None
    # "handheld" while the guard measures by hand (issue 20); None: the gate never reported.
    screening: str | None = None
    lane: str | None = None  # "vehicle" at a vehicle lane
    status_at: datetime | None
    devices: list[DeviceView]
    snapshot: SnapshotView | None
    outbox: int
    locked: bool
    locked_by: str | None
    locked_at: datetime | None
    today: int
    last_hour: int


class PersonView(Model):
    id: str
    name: str
    kind: str
    masked_id: str


class VehicleView(Model):
    plate: str
    group_id: str
    occupants: int


class PassageView(Model):
    """A decided passage as the kiosk and the dashboard show it (same as the live event)."""

    type: Literal["decision"] = "decision"
    event_id: str
    gate: str
    decision: Outcome
    reasons: list[str]
    person: PersonView | None
    celsius: float | None
    case_id: str | None
    decided_at: str | None
    direction: str | None
    mask: bool | None
    sensor: str | None
    recheck_of: str | None
    vehicle: VehicleView | None


class CommandView(Model):
    command_id: str
    gate: str
    command: str
    issued_by: str
    reason: str
    override_of: str | None
    at: datetime


class GateDetail(Model):
    gate: GateView
    recent: list[PassageView]
    commands: list[CommandView]


class CommandRequest(Model):
    command: CommandName
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PLAIN)
    ] = ""


class VehicleRequest(Model):
    """A vehicle at the guard's vehicle lane: its plate and how many people are in it."""

    plate: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16, pattern=PLAIN)
    ]
    occupants: Annotated[int, Field(ge=1, le=64)]


class CommandSent(Model):
    command: CommandView
    published: bool


class RemeasureRequest(Model):
    event_id: uuid.UUID
    celsius: EnteredCelsius


class ManualPassageRequest(Model):
    """A person found by the kiosk's look-up, and the guard's handheld reading."""

    ref: Annotated[str, Field(min_length=1, max_length=400)]
    celsius: EnteredCelsius
    mask: bool | None = True


class NoMaskRequest(Model):
    event_id: uuid.UUID


class OverrideRequest(Model):
    event_id: uuid.UUID  # the passage at the lane (of this gate, minutes old)
    reason: Reason


class PassageSent(Model):
    event_id: str
    recheck_of: str


# -- clinic -----------------------------------------------------------------------------


class CaseView(Model):
    case_id: str
    status: str
    gate: str
    opened_at: datetime
    person: PersonView | None
    celsius: float | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    clinic_celsius: float | None
    clinic_measured_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None
    escalated_at: datetime | None
    # The lifecycle (services/cases/lifecycle.py); closed_* above are the release.
    origin: str = DecisionReason.FEVER.value
    opened_by: str | None = None
    note: str = ""
    isolating: bool = True  # held at every gate until a clinician releases
    suspended: bool = False  # confirmed, no return (复学) recorded yet
    observation_place: str | None = None
    observation_room: str | None = None
    observation_start: datetime | None = None
    observation_until: datetime | None = None
    hospital: str | None = None
    transfer_at: datetime | None = None
    suspected_at: datetime | None = None
    confirmed_at: datetime | None = None
    release_reason: str | None = None
    returned_at: datetime | None = None
    return_date: str | None = None
    return_certificate: str | None = None
    returned_by: str | None = None
    # Under observation (services/cases/followup.py): missed_reading, end_passed; and
    # which twice-daily readings are missing ("2026-12-03 morning"), oldest first.
    flags: list[str] = Field(default_factory=list)
    missed_readings: list[str] = Field(default_factory=list)


class CaseEventView(Model):
    at: datetime
    kind: str
    actor: str
    detail: str


class CaseDetail(Model):
    case: CaseView
    timeline: list[CaseEventView]


class MeasureRequest(Model):
    celsius: EnteredCelsius


# -- dashboard --------------------------------------------------------------------------


class DashboardView(Model):
    gates: list[GateView]
    live: list[PassageView]
    denials: list[PassageView]
    cases: list[CaseView]
    escalations: list[CaseView]
    commands: list[CommandView]


class LiveStats(Model):
    connected: bool
    subscribers: int
    events_in: int
    overflows: int
    max_queued: int
    queued: list[int]
    mqtt_received: int
    mqtt_invalid: int


class Problem(Model):
    """Every error: a stable code for programs and a message for people."""

    error: str
    message: str
