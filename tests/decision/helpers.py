"""Builders for decision tests: a passage, facts and policy with sensible defaults."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kernel.decision.facts import CodeFacts, CodeStatus, Facts, PersonFacts
from schemas.messages import Credential, Passage, Temperature
from schemas.policy import Policy

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

ALICE = PersonFacts(
    person_id="2021001",
    name="Alice",
    kind="student",
    masked_id="**************1234",
    valid_from=NOW - timedelta(days=30),
    valid_until=NOW + timedelta(days=300),
)
ID_CODE = CodeFacts(status=CodeStatus.VALID, typ="id", subject=ALICE.person_id, jti="j1")


def passage(
    celsius: str | Decimal | None = "36.6",
    *,
    gate: str = "north-1",
    direction: str = "in",
    mask: bool | None = True,
    **changes: Any,
) -> Passage:
    temperature = (
        None
        if celsius is None
        else Temperature(celsius=Decimal(celsius), sensor="ir-0", measured_at=NOW)
    )
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "site": "main",
        "gate": gate,
        "direction": direction,
        "ts": NOW,
        "credentials": [Credential(kind="qr", data="CG1.x.y")],
        "temperature": temperature,
        "mask": mask,
    }
    fields.update(changes)
    return Passage.model_validate(fields)


def facts(**changes: Any) -> Facts:
    base = Facts(now=NOW, codes=(ID_CODE,), person=ALICE)
    return replace(base, **changes)


def policy(**changes: Any) -> Policy:
    return Policy(site="main", version=7, **changes)
