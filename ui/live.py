"""The events a kiosk page receives, shaped in one place for both sides.

A decision (with what its passage says: mask, sensor, vehicle group) and a gate's
status become flat JSON objects with a ``type``; the central web sends them live
from MQTT and at page load, the gate's local kiosk from its own lane.  Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kernel.masking import mask_person_id
from schemas.messages import Decision, GateStatus, Passage, utc_isoformat

DECISION = "decision"
STATUS = "status"


@dataclass(frozen=True, slots=True)
class PassageFacts:
    """What a decision does not carry but the kiosk shows: mask, sensor, vehicle group."""

    direction: str
    mask: bool | None
    sensor: str | None
    recheck_of: str | None
    vehicle: dict[str, Any] | None

    @classmethod
    def of(cls, passage: Passage) -> PassageFacts:
        vehicle = None
        if passage.vehicle is not None:
            vehicle = {
                "plate": passage.vehicle.plate,
                "group_id": str(passage.vehicle.group_id),
                "occupants": passage.vehicle.occupants,
            }
        return cls(
            direction=passage.direction,
            mask=passage.mask,
            sensor=passage.temperature.sensor if passage.temperature else None,
            recheck_of=str(passage.recheck_of) if passage.recheck_of else None,
            vehicle=vehicle,
        )


def json_number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def json_time(value: datetime | None) -> str | None:
    return None if value is None else utc_isoformat(value)


def encode(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decision_data(decision: Decision, facts: PassageFacts | None) -> dict[str, Any]:
    person = decision.person
    return {
        "type": DECISION,
        "event_id": str(decision.event_id),
        "gate": decision.gate,
        "decision": decision.decision,
        "reasons": list(decision.reasons),
        "person": None
        if person is None
        else {
            "id": person.id,
            "name": person.name,
            "kind": person.kind,
            "masked_id": person.masked_id,
        },
        "celsius": json_number(decision.celsius),
        "case_id": decision.case_id,
        "decided_at": json_time(decision.decided_at),
        "direction": facts.direction if facts else None,
        "mask": facts.mask if facts else None,
        "sensor": facts.sensor if facts else None,
        "recheck_of": facts.recheck_of if facts else None,
        "vehicle": facts.vehicle if facts else None,
    }


def with_person_id_masked(data: dict[str, Any]) -> dict[str, Any]:
    """The event's data as a role that may not see person ids gets it."""
    person = data.get("person")
    if not person or not person.get("id"):
        return data
    return {**data, "person": {**person, "id": mask_person_id(person["id"])}}


def status_data(status: GateStatus, received_at: datetime) -> dict[str, Any]:
    return {
        "type": STATUS,
        "gate": status.gate,
        "online": status.online,
        "mode": status.mode,
        "screening": status.screening,
        "lane": status.lane,
        "ts": json_time(status.ts),
        "received_at": json_time(received_at),
        "devices": {
            name: {"state": health.state, "detail": health.detail}
            for name, health in sorted(status.devices.items())
        },
        "snapshot": None
        if status.snapshot is None
        else {
            "version": status.snapshot.version,
            "checksum": status.snapshot.checksum,
            "taken_at": json_time(status.snapshot.taken_at),
        },
        "outbox": status.outbox,
    }
