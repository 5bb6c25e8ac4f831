"""One vehicle at a vehicle lane: "not one vehicle, not one person missed" (DESIGN section 3).

Each occupant is a passage of their own carrying the same ``group_id``; the
barrier may open only once as many occupants as announced have passed and every
one of them is admitted.  A re-measure (``recheck_of``) of an occupant replaces
that occupant's outcome.  Pure: the agent feeds it passages and decisions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from schemas.messages import Outcome, Vehicle


@dataclass(slots=True)
class VehicleGroup:
    plate: str
    occupants: int
    group_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # occupant's first passage -> latest outcome (None while undecided)
    _outcomes: dict[uuid.UUID, Outcome | None] = field(default_factory=dict)
    _recheck_of: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.occupants <= 64:
            raise ValueError(f"a vehicle carries 1..64 occupants, not {self.occupants}")

    def wire(self) -> Vehicle:
        return Vehicle(plate=self.plate, group_id=self.group_id, occupants=self.occupants)

    def add(self, event_id: uuid.UUID, recheck_of: uuid.UUID | None = None) -> None:
        """A passage of this vehicle was published (a new occupant or a re-measure)."""
        if recheck_of is not None and self._occupant(recheck_of) in self._outcomes:
            self._recheck_of[event_id] = self._occupant(recheck_of)
            return
        if len(self._outcomes) >= self.occupants:
            raise ValueError(f"vehicle {self.plate} already has {self.occupants} occupants")
        self._outcomes[event_id] = None

    def record(self, event_id: uuid.UUID, outcome: Outcome) -> bool:
        """The decision for one of this vehicle's passages; False if it is not ours."""
        occupant = self._occupant(event_id)
        if occupant not in self._outcomes:
            return False
        self._outcomes[occupant] = outcome
        return True

    def owns(self, event_id: uuid.UUID) -> bool:
        return self._occupant(event_id) in self._outcomes

    @property
    def screened(self) -> int:
        return len(self._outcomes)

    def blocking(self) -> list[uuid.UUID]:
        """Occupants (by first passage) who are not admitted yet, in the order they passed."""
        return [eid for eid, outcome in self._outcomes.items() if outcome != "admit"]

    @property
    def cleared(self) -> bool:
        """Every announced occupant passed and was admitted: the barrier may open."""
        return self.screened == self.occupants and not self.blocking()

    def _occupant(self, event_id: uuid.UUID) -> uuid.UUID:
        return self._recheck_of.get(event_id, event_id)
