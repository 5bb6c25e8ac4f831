"""The guard's hand at the local kiosk, through the agent: each one a passage or a mode.

Re-measure, no mask, a handheld reading and a person looked up (:mod:`.lookup`) become
passages the lane publishes and keeps in its outbox until the centre has answered them,
so what a guard does during an outage reaches the central log once it is back, exactly
once (the centre is idempotent on ``event_id``).  Choosing the screening mode and
announcing a vehicle change the lane itself.  Every body is validated here; nothing
else is accepted.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any, Protocol, get_args

from pydantic import ValidationError

from gateway.agent.handheld import Choice, handheld_celsius
from gateway.kiosk.lookup import LookupDesk, LookupRefused
from schemas.messages import MAX_TEXT, Override, VehicleAnnouncement


class ActionRefused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error = status, error
        self.retry_after = 0  # seconds, for a 429


class Lane(Protocol):
    """What the kiosk asks of the gate agent (thread-safe: each posts to its loop)."""

    def remeasure(self, recheck_of: uuid.UUID, celsius: Any) -> None: ...

    def no_mask(self, event_id: uuid.UUID) -> None: ...

    def typed_temperature(self, celsius: Any) -> None: ...

    def choose_screening(self, choice: Choice) -> None: ...

    def begin_vehicle(self, plate: str, occupants: int) -> None: ...

    def override(self, event_id: uuid.UUID, reason: str, by: str) -> None: ...


def _refused(exc: LookupRefused) -> ActionRefused:
    refused = ActionRefused(exc.status, exc.error, str(exc))
    refused.retry_after = exc.retry_after
    return refused


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
    def __init__(self, lane: Lane, desk: LookupDesk | None = None) -> None:
        self.lane, self.desk = lane, desk

    def lookup(self, query: object, *, by: str) -> list[dict[str, Any]]:
        """What guard ``by`` finds here (GET .../lookup?q=); ActionRefused otherwise."""
        if self.desk is None:
            raise ActionRefused(HTTPStatus.NOT_FOUND, "not_found", "no look-up at this gate")
        try:
            return self.desk.lookup(by, query)
        except LookupRefused as exc:
            raise _refused(exc) from None

    def run(self, action: str, body: dict[str, Any], *, by: str) -> dict[str, str]:
        """Carry out ``action`` of guard ``by`` with ``body``; ActionRefused otherwise."""
        if action == "manual-passage" and self.desk is not None:
            return self._manual(body, by, self.desk)
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
        return {}

    def _manual(self, body: dict[str, Any], by: str, desk: LookupDesk) -> dict[str, str]:
        """A person looked up here: a passage by their id with the typed reading."""
        mask = body.get("mask", True)
        if mask is not None and not isinstance(mask, bool):
            raise _invalid("mask is true, false or null")
        try:
            event_id = desk.send(by, body.get("ref"), _celsius(body), mask)
        except LookupRefused as exc:
            raise _refused(exc) from None
        return {"event_id": str(event_id), "recheck_of": ""}

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
