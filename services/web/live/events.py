"""The events browsers receive, built in one place for live messages and page loads.

Every event is a flat JSON object with a ``type``; a page renders a row the same
way whether it came from the database at load time or live from MQTT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kernel.masking import mask_person_id
from schemas.messages import Command, Decision, FeverAlert, GateStatus, Passage, utc_isoformat

DECISION = "decision"
STATUS = "status"
COMMAND = "command"
ALERT = "alert"
CASE = "case"
ESCALATION = "escalation"
INCIDENT = "incident"  # recorded by a guard at the lane (the office sees it live)
KINDS = frozenset({DECISION, STATUS, COMMAND, ALERT, CASE, ESCALATION, INCIDENT})


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event for browsers: who may get it (kind, gate) and its JSON, encoded once.

    An event about a person that reaches roles whose view hides person ids (guards, at
    the kiosk) carries a second encoding with the id masked, also made once.
    """

    kind: str
    gate: str | None
    json: str
    masked_json: str | None = None

    def json_for(self, *, person_ids: bool) -> str:
        return self.json if person_ids or self.masked_json is None else self.masked_json


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


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _time(value: datetime | None) -> str | None:
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
        "celsius": _num(decision.celsius),
        "case_id": decision.case_id,
        "decided_at": _time(decision.decided_at),
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


def decision_event(decision: Decision, facts: PassageFacts | None) -> LiveEvent:
    data = decision_data(decision, facts)
    masked = encode(with_person_id_masked(data))
    return LiveEvent(DECISION, decision.gate, encode(data), masked_json=masked)


def status_data(status: GateStatus, received_at: datetime) -> dict[str, Any]:
    return {
        "type": STATUS,
        "gate": status.gate,
        "online": status.online,
        "mode": status.mode,
        "ts": _time(status.ts),
        "received_at": _time(received_at),
        "devices": {
            name: {"state": health.state, "detail": health.detail}
            for name, health in sorted(status.devices.items())
        },
        "snapshot": None
        if status.snapshot is None
        else {
            "version": status.snapshot.version,
            "checksum": status.snapshot.checksum,
            "taken_at": _time(status.snapshot.taken_at),
        },
        "outbox": status.outbox,
    }


def command_data(command: Command) -> dict[str, Any]:
    return {
        "type": COMMAND,
        "command_id": str(command.command_id),
        "gate": command.gate,
        "command": command.command,
        "issued_by": command.issued_by,
        "reason": command.reason,
        "ts": _time(command.ts),
    }


def alert_data(alert: FeverAlert) -> dict[str, Any]:
    person = alert.person
    return {
        "type": ALERT,
        "case_id": alert.case_id,
        "event_id": str(alert.event_id),
        "gate": alert.gate,
        "person": None
        if person is None
        else {
            "id": person.id,
            "name": person.name,
            "kind": person.kind,
            "masked_id": person.masked_id,
        },
        "celsius": _num(alert.celsius),
        "threshold": _num(alert.threshold),
        "reasons": list(alert.reasons),
        "decision": alert.decision,
        "ts": _time(alert.ts),
    }
