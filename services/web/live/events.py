"""The events browsers receive, built in one place for live messages and page loads.

Every event is a flat JSON object with a ``type``; a page renders a row the same
way whether it came from the database at load time or live from MQTT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.messages import Command, Decision, FeverAlert
from ui.live import (
    DECISION,
    STATUS,
    PassageFacts,
    decision_data,
    encode,
    json_number,
    json_time,
    status_data,
    with_person_id_masked,
)

# The kiosk's events are shaped in ui.live (the gate's local kiosk sends them too).
__all__ = [
    "ALERT",
    "CASE",
    "COMMAND",
    "DECISION",
    "ESCALATION",
    "KINDS",
    "STATUS",
    "LiveEvent",
    "PassageFacts",
    "decision_data",
    "decision_event",
    "encode",
    "status_data",
    "with_person_id_masked",
]

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


def decision_event(decision: Decision, facts: PassageFacts | None) -> LiveEvent:
    data = decision_data(decision, facts)
    masked = encode(with_person_id_masked(data))
    return LiveEvent(DECISION, decision.gate, encode(data), masked_json=masked)


def command_data(command: Command) -> dict[str, Any]:
    return {
        "type": COMMAND,
        "command_id": str(command.command_id),
        "gate": command.gate,
        "command": command.command,
        "issued_by": command.issued_by,
        "reason": command.reason,
        "ts": json_time(command.ts),
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
        "celsius": json_number(alert.celsius),
        "threshold": json_number(alert.threshold),
        "reasons": list(alert.reasons),
        "decision": alert.decision,
        "ts": json_time(alert.ts),
    }
