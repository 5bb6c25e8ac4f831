"""Pure decision core shared by the central service and the gate (no I/O inside)."""

from kernel.decision.core import SEVERITY, decide, worse
from kernel.decision.facts import (
    AppointmentFacts,
    CodeFacts,
    CodeStatus,
    Facts,
    PassFacts,
    PersonFacts,
)

__all__ = [
    "SEVERITY",
    "AppointmentFacts",
    "CodeFacts",
    "CodeStatus",
    "Facts",
    "PassFacts",
    "PersonFacts",
    "decide",
    "worse",
]
