"""Plain records the central service writes; kept apart from the ORM models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class EntryRecord:
    event_id: uuid.UUID
    site: str
    gate: str
    direction: str
    ts: datetime
    received_at: datetime
    decided_at: datetime
    person_id: str | None
    decision: str
    reasons: tuple[str, ...]
    celsius: Decimal | None
    policy_version: int
    local_decision: str | None
    recheck_of: uuid.UUID | None
    case_id: str | None
    passage_json: str
    decision_json: str
    sensor: str | None = None  # the thermometer, from the passage
    kind: str | None = None  # the person's kind then, or "visitor" / "pass"
    grant_id: str | None = None  # the appointment or pass that identified them
    seq_stream: str | None = None  # Passage.seq, when the gate numbers its passages
    seq_n: int | None = None


@dataclass(frozen=True, slots=True)
class CaseRecord:
    case_id: str
    event_id: uuid.UUID
    site: str
    gate: str
    person_id: str | None
    celsius: Decimal | None
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ExitRecord:
    """An admitted exit counted against a household's quota."""

    event_id: str
    site: str
    household: str
    person_id: str
    gate: str
    exited_at: datetime
