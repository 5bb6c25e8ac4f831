"""The vehicle at a vehicle lane: its occupants' passages, and when the barrier may open.

The rules of one vehicle are :class:`~gateway.vehicle.VehicleGroup`'s; this is the
lane's side: which vehicle is at the barrier now, tagging each passage with it, and
telling the decision handler whether a decision clears it.
"""

from __future__ import annotations

import logging
from typing import Literal

from gateway.agent.config import LaneConfig
from gateway.vehicle import VehicleGroup
from schemas.messages import Decision, Passage, Vehicle

log = logging.getLogger(__name__)

Verdict = Literal["not_ours", "cleared", "waiting"]


class VehicleLane:
    def __init__(self, config: LaneConfig) -> None:
        self.config = config
        self.current: VehicleGroup | None = None

    def begin(self, plate: str, occupants: int) -> None:
        """A vehicle arrives (the guard says so): its occupants' passages form one group."""
        if self.config.lane != "vehicle":
            log.warning("gate %s: not a vehicle lane; vehicle %s ignored", self.config.gate, plate)
            return
        self.current = VehicleGroup(plate=plate, occupants=occupants)
        log.info("gate %s: vehicle %s with %d occupant(s)", self.config.gate, plate, occupants)

    def wire(self) -> Vehicle | None:
        """What a new passage carries in its ``vehicle`` field."""
        return self.current.wire() if self.current is not None else None

    def attach(self, passage: Passage) -> Passage:
        """Count ``passage`` as an occupant (or a re-measure of one) of the current vehicle."""
        vehicle = self.current
        if vehicle is None:
            return passage
        try:
            vehicle.add(passage.event_id, passage.recheck_of)
        except ValueError as exc:
            # More people than announced: the guard must start a new vehicle.
            log.warning("gate %s: %s; passage sent without the vehicle", self.config.gate, exc)
            return passage.model_copy(update={"vehicle": None})
        return passage

    def decided(self, decision: Decision) -> Verdict:
        """Record an occupant's decision; ``cleared`` when the whole vehicle may now go."""
        vehicle = self.current
        if vehicle is None or not vehicle.owns(decision.event_id):
            return "not_ours"
        vehicle.record(decision.event_id, decision.decision)
        if vehicle.cleared:
            log.info("gate %s: vehicle %s cleared", self.config.gate, vehicle.plate)
            self.current = None
            return "cleared"
        if vehicle.screened == vehicle.occupants:
            log.info(
                "gate %s: vehicle %s held: %d occupant(s) not admitted",
                self.config.gate,
                vehicle.plate,
                len(vehicle.blocking()),
            )
        return "waiting"
