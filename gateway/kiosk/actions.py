"""The guard's hand at the local kiosk, through the agent: each one a passage or a mode.

Re-measure, no mask and a handheld reading become passages the lane publishes and
keeps in its outbox until the centre has answered them, so what a guard does during
an outage reaches the central log once it is back, exactly once (the centre is
idempotent on ``event_id``).  Choosing the screening mode and announcing a vehicle
change the lane itself.  Every body is validated here; nothing else is accepted.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any, Protocol, get_args

from pydantic import ValidationError

from gateway.agent.handheld import Choice, handheld_celsius
from schemas.messages import MAX_TEXT, Override, VehicleAnnouncement


class ActionRefused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error = status, error


class Lane(Protocol):
    """What the kiosk asks of the gate agent (thread-safe: each posts to its loop)."""

    def remeasure(self, recheck_of: uuid.UUID, celsius: Any) -> None: ...

    def no_mask(self, event_id: uuid.UUID) -> None: ...

    def typed_temperature(self, celsius: Any) -> None: ...

    def choose_screening(self, choice: Choice) -> None: ...

    def begin_vehicle(self, plate: str, occupants: int) -> None: ...

    def override(self, event_id: uuid.UUID, reason: str, by: str) -> None: ...


def _invalid(message: str) -> ActionRefused:
    return ActionRefused(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_input", message)


def _event_id(body: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(body.get("event_id", ""))[:64])
    except ValueError:
        raise _invalid("event_id is not a passage id") from None


def _celsius(body: dict[str, Any]) -> Any:
    value = body.get("celsius")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _invalid("celsius is a number")
    try:
        return handheld_celsius(str(value)[:16])
    except ValueError as exc:
        raise _invalid(str(exc)) from None


class Actions:
    def __init__(self, lane: Lane) -> None:
        self.lane = lane

    def run(self, action: str, body: dict[str, Any], *, by: str) -> None:
        """Carry out ``action`` of guard ``by`` with ``body``; ActionRefused otherwise."""
        match action:
            case "override":
                self._override(body, by)
            case "remeasure":
                self.lane.remeasure(_event_id(body), _celsius(body))
            case "no-mask":
                self.lane.no_mask(_event_id(body))
            case "handheld":
                self.lane.typed_temperature(_celsius(body))
            case "screening":
                choices: dict[str, Choice] = {c: c for c in get_args(Choice)}
                choice = choices.get(str(body.get("choice")))
                if choice is None:
                    raise _invalid("choice is auto, handheld or thermometer")
                self.lane.choose_screening(choice)
            case "vehicle":
                try:
                    vehicle = VehicleAnnouncement.model_validate(
                        {"plate": body.get("plate"), "occupants": body.get("occupants")}
                    )
                except ValidationError:
                    raise _invalid("a plate (1-16 characters) and 1-64 occupants") from None
                self.lane.begin_vehicle(vehicle.plate, vehicle.occupants)
            case _:
                raise ActionRefused(HTTPStatus.NOT_FOUND, "not_found", "no such action here")

    def _override(self, body: dict[str, Any], by: str) -> None:
        event_id = _event_id(body)
        try:
            chosen = Override(by=by, reason=str(body.get("reason", ""))[: MAX_TEXT + 1].strip())
        except ValidationError:
            raise _invalid("a written reason of 4-200 characters") from None
        try:
            self.lane.override(event_id, chosen.reason, chosen.by)
        except ValueError:
            raise ActionRefused(
                HTTPStatus.CONFLICT,
                "isolate_not_overridable",
                "fever and isolation go to the clinic",
            ) from None
