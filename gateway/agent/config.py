"""What one lane is configured with, and what it counts while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from devices.relay.turnstile import PULSE_S
from gateway.pairing.pairer import DEFAULT_PRESENCE_MIN_C, DEFAULT_THRESHOLD_C, DEFAULT_WINDOW_S
from schemas.messages import Direction

DECISION_TIMEOUT_S = 3.0
STATUS_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class LaneConfig:
    site: str
    gate: str
    direction: Direction = "in"
    lane: Literal["person", "vehicle"] = "person"
    decision_timeout_s: float = DECISION_TIMEOUT_S
    pulse_s: float = PULSE_S
    pairing_window_s: float = DEFAULT_WINDOW_S
    gather_s: float = 0.0
    presence_min: Decimal = DEFAULT_PRESENCE_MIN_C
    threshold: Decimal = DEFAULT_THRESHOLD_C
    surface_offset: Decimal | None = None
    status_interval_s: float = STATUS_INTERVAL_S
    thermometer_name: str = "thermometer"
    # A lane with no thermometer device goes to handheld mode (issue 20).  False where
    # the caller feeds readings into the inbox itself (the demo's and the tests' lanes).
    handheld_when_absent: bool = False


@dataclass(slots=True)
class AgentStats:
    """The lane's running counts (logged when the agent stops; read by tests and benches)."""

    passages: int = 0
    decisions: int = 0
    admitted: int = 0
    pulses: int = 0
    no_answer: int = 0
    late_decisions: int = 0
    ignored_decisions: int = 0
    commands: int = 0
    publish_failures: int = 0
    outbox_failures: int = 0
    local_decisions: int = 0
    forwarded_answers: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
