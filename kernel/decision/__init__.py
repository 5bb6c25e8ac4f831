"""Pure decision core shared by the central service and the gate (no I/O inside)."""

from kernel.decision.aftermath import Aftermath, aftermath
from kernel.decision.core import SEVERITY, decide, worse
from kernel.decision.facts import (
    AppointmentFacts,
    CodeFacts,
    CodeStatus,
    Facts,
    PassFacts,
    PersonFacts,
)
from kernel.decision.reasons import REASONS, Reason

__all__ = [
    "REASONS",
    "SEVERITY",
    "Aftermath",
    "AppointmentFacts",
    "CodeFacts",
    "CodeStatus",
    "Facts",
    "PassFacts",
    "PersonFacts",
    "Reason",
    "aftermath",
    "decide",
    "worse",
]
