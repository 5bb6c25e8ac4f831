"""Pydantic v2 models for every message of wire contract v1 (DESIGN section 3).

Temperatures are :class:`decimal.Decimal` end to end so that 37.3 is exactly 37.3
when compared with the fever threshold; on the wire they stay JSON numbers.
Every model forbids unknown fields and is frozen: a message is a value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from schemas.names import GateName, SiteName

WIRE_VERSION: Literal[1] = 1
MAX_CREDENTIALS = 8
MAX_CREDENTIAL_LENGTH = 2048
MAX_REASONS = 32
MAX_TEXT = 200

Outcome = Literal["admit", "recheck", "deny", "isolate"]
Direction = Literal["in", "out"]
ReadingKind = Literal["body", "surface", "ambient"]
CommandName = Literal["open", "lockdown", "release", "sync", "vehicle"]
MAX_OCCUPANTS = 64
MAX_PLATE = 16


def _to_json_number(value: Decimal) -> float:
    # The wire keeps temperatures as JSON numbers; the model keeps exact decimals.
    return float(value)


Celsius = Annotated[
    Decimal,
    Field(ge=Decimal("-60"), le=Decimal("150"), max_digits=6, decimal_places=3),
    PlainSerializer(_to_json_number, return_type=float, when_used="json"),
]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
GuardName = Annotated[str, Field(min_length=1, max_length=64)]
"""A guard's user name (who overrode, or entered a passage, at the gate's own kiosk)."""


def utc_isoformat(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as in the wire examples."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(utc_isoformat, return_type=str, when_used="json"),
]


class WireModel(BaseModel):
    """Base of all wire messages: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    v: Literal[1] = WIRE_VERSION


class Credential(BaseModel):
    """One scan: a signed QR code, a card number, or an ID typed in by a guard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["qr", "card", "manual"]
    data: Annotated[str, Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)]


class Temperature(BaseModel):
    """A body temperature as the gate measured it (already offset-corrected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    celsius: Celsius
    sensor: Text
    measured_at: Timestamp


class Vehicle(BaseModel):
    """A vehicle lane passage: each occupant is a passage of its own in one group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: Text
    group_id: UUID
    occupants: Annotated[int, Field(ge=1, le=MAX_OCCUPANTS)]


class VehicleAnnouncement(BaseModel):
    """A vehicle at a vehicle lane, announced by its guard: every occupant is screened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: Annotated[str, Field(min_length=1, max_length=MAX_PLATE, pattern=r"^[^\x00-\x1f\x7f]+$")]
    occupants: Annotated[int, Field(ge=1, le=MAX_OCCUPANTS)]


MAX_SEQ = 2**53  # exact in every JSON reader (IEEE doubles)
SeqStream = Annotated[str, Field(pattern=r"^[0-9a-f]{8,32}$")]


class PassageSeq(BaseModel):
    """Where a passage stands in its gate's numbering: passage ``n`` of ``stream``.

    A gate's outbox numbers its passages 1, 2, 3, ... without gaps; ``stream`` is
    a random id the outbox takes when it is created, so a new or replaced outbox
    starts a new numbering.  The central side sees from a missing ``n`` that a
    passage never reached it and asks the gate to send again (``sync``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: SeqStream
    n: Annotated[int, Field(ge=1, le=MAX_SEQ)]


class Passage(WireModel):
    """One person passing one gate lane, published by the gate (QoS 1)."""

    event_id: UUID
    site: SiteName
    gate: GateName
    direction: Direction
    ts: Timestamp
    credentials: Annotated[list[Credential], Field(max_length=MAX_CREDENTIALS)]
    temperature: Temperature | None = None
    mask: bool | None = None
    vehicle: Vehicle | None = None
    recheck_of: UUID | None = None
    local_decision: Outcome | None = None
    # Set by a gate with an outbox; absent from the kiosk's re-measures and older gates.
    seq: PassageSeq | None = Field(default=None, exclude_if=lambda value: value is None)
    # The guard overrode the decision on ``recheck_of`` at the gate's kiosk (issue 20).
    override: Override | None = Field(default=None, exclude_if=lambda value: value is None)
    # The guard who looked this person up at the gate's own kiosk and sent the passage
    # (a ``manual`` credential; issue 20): the centre logs it under their name.
    entered_by: GuardName | None = Field(default=None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _override_reopens_a_passage(self) -> Passage:
        if self.override is not None and (
            self.recheck_of is None or self.local_decision != "admit"
        ):
            raise ValueError("an override re-checks a passage and was admitted at the gate")
        if self.entered_by is not None and not any(c.kind == "manual" for c in self.credentials):
            raise ValueError("a guard enters a passage by a manual credential")
        return self


class Override(BaseModel):
    """A guard opened the gate by hand at the gate's own kiosk, with a written reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: GuardName
    reason: Annotated[str, Field(min_length=4, max_length=MAX_TEXT, pattern=r"^[^\x00-\x1f\x7f]+$")]


class DecisionPerson(BaseModel):
    """Who the central side recognised, masked for showing at the lane."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Text
    name: Text
    kind: Text
    masked_id: Annotated[str, Field(max_length=32)]


class Decision(WireModel):
    """The answer to one Passage, on the gate's decision topic."""

    event_id: UUID
    gate: GateName
    decision: Outcome
    reasons: Annotated[list[Text], Field(max_length=MAX_REASONS)]
    person: DecisionPerson | None = None
    celsius: Celsius | None = None
    case_id: Text | None = None
    policy_version: Annotated[int, Field(ge=0)]
    decided_at: Timestamp


class DeviceHealth(BaseModel):
    """State of one device of a gate (thermometer, camera, relay)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Literal["ok", "degraded", "unconfigured", "fault", "absent"]
    detail: Annotated[str, Field(max_length=MAX_TEXT)] = ""
    # Running counts (a thermometer's readings, faults, fevers; a camera's frames).
    counters: dict[Annotated[str, Field(max_length=32)], Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, max_length=16
    )
    # Current values: a camera's frame rate, a thermometer's ambient temperature.
    metrics: dict[Annotated[str, Field(max_length=32)], float] = Field(
        default_factory=dict, max_length=16
    )


class SnapshotInfo(BaseModel):
    """Which whitelist snapshot a gate holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[int, Field(ge=0)]
    checksum: Annotated[str, Field(max_length=128)]
    taken_at: Timestamp


class GateStatus(WireModel):
    """Retained gate state; also the last will with ``online: false``."""

    site: SiteName
    gate: GateName
    online: bool
    ts: Timestamp
    mode: Literal["online", "offline", "locked"] = "online"
    devices: dict[Annotated[str, Field(max_length=32)], DeviceHealth] = Field(
        default_factory=dict, max_length=16
    )
    snapshot: SnapshotInfo | None = None
    outbox: Annotated[int, Field(ge=0)] = 0
    # How the lane takes temperatures: its thermometer, or the guard's handheld one
    # (the thermometer is faulted, absent or unconfigured, or the guard chose it).
    screening: Literal["thermometer", "handheld"] = "thermometer"
    # A vehicle lane screens each vehicle's occupants (its kiosk announces vehicles).
    lane: Literal["person", "vehicle"] = "person"


class Command(WireModel):
    """An order from the central side to one gate."""

    command_id: UUID
    site: SiteName
    gate: GateName
    command: CommandName
    issued_by: Text
    reason: Annotated[str, Field(max_length=MAX_TEXT)] = ""
    ts: Timestamp
    # The vehicle a ``vehicle`` command announces (issue 20); no other command has one.
    vehicle: VehicleAnnouncement | None = Field(
        default=None, exclude_if=lambda value: value is None
    )

    @model_validator(mode="after")
    def _vehicle_only_with_its_command(self) -> Command:
        if (self.command == "vehicle") != (self.vehicle is not None):
            raise ValueError("a vehicle command, and only it, carries the vehicle")
        return self


class Reading(WireModel):
    """Raw thermometer telemetry (QoS 0), for dashboards and calibration."""

    site: SiteName
    gate: GateName
    sensor: Text
    kind: ReadingKind
    celsius: Celsius
    ts: Timestamp


class FeverAlert(WireModel):
    """Sent to the clinic and dashboards when a passage opens an isolation case.

    ``decision`` is ``admit`` for a fever under soft screening: the person was
    let through but the clinic must still follow up.
    """

    alert_id: UUID
    case_id: Text
    event_id: UUID
    site: SiteName
    gate: GateName
    person: DecisionPerson | None = None
    celsius: Celsius | None = None  # None when isolation is for a red health code
    threshold: Celsius
    reasons: Annotated[list[Text], Field(max_length=MAX_REASONS)]
    decision: Outcome
    ts: Timestamp


class PolicyAnnouncement(WireModel):
    """Retained on the policy topic: what gates must hold to decide offline."""

    site: SiteName
    version: Annotated[int, Field(ge=0)]
    threshold: Celsius
    snapshot_version: Annotated[int, Field(ge=0)] = 0
    snapshot_hash: Annotated[str, Field(max_length=128)] = ""
    published_at: Timestamp

    @field_validator("threshold")
    @classmethod
    def _threshold_in_bounds(cls, value: Decimal) -> Decimal:
        if not Decimal("35") <= value <= Decimal("40"):
            raise ValueError("fever threshold must be between 35 and 40 C")
        return value


MESSAGE_MODELS: dict[str, type[WireModel]] = {
    "passage": Passage,
    "decision": Decision,
    "status": GateStatus,
    "command": Command,
    "reading": Reading,
    "fever_alert": FeverAlert,
    "policy": PolicyAnnouncement,
}
