"""Wire contract v1 of campusgate: message models, topics and their JSON Schema.

Everything that crosses MQTT is one of the models in :mod:`schemas.messages`,
validated on both ends; topics are built and parsed only by :mod:`schemas.topics`.
This package imports nothing heavier than pydantic so the gate agent can use it.
"""

from schemas.messages import (
    Command,
    Credential,
    Decision,
    DecisionPerson,
    DeviceHealth,
    FeverAlert,
    GateStatus,
    Outcome,
    Passage,
    PolicyAnnouncement,
    Reading,
    SnapshotInfo,
    Temperature,
    Vehicle,
)

__all__ = [
    "Command",
    "Credential",
    "Decision",
    "DecisionPerson",
    "DeviceHealth",
    "FeverAlert",
    "GateStatus",
    "Outcome",
    "Passage",
    "PolicyAnnouncement",
    "Reading",
    "SnapshotInfo",
    "Temperature",
    "Vehicle",
]
