"""What the gate tells everyone about itself: device health, counters, the retained GateStatus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from schemas.messages import MAX_TEXT, DeviceHealth

DeviceState = Literal["ok", "degraded", "fault", "absent"]
SEVERITY: dict[str, int] = {"ok": 0, "absent": 0, "degraded": 1, "fault": 2}


class HasHealth(Protocol):
    def health(self) -> tuple[str, str]: ...


def _state(value: str) -> DeviceState:
    if value in ("ok", "degraded", "fault", "absent"):
        return value  # type: ignore[return-value]
    # A driver still starting (or in a state we do not know) is not ok yet.
    return "fault"


def worst(*healths: tuple[str, str]) -> tuple[DeviceState, str]:
    """The most severe of several (state, detail) pairs, details of the worst joined."""
    top = max(SEVERITY.get(_state(state), 2) for state, _ in healths)
    chosen = [(s, d) for s, d in healths if SEVERITY.get(_state(s), 2) == top]
    detail = "; ".join(d for _, d in chosen if d)
    return _state(chosen[0][0]), detail


def device_health(
    health: tuple[str, str],
    *,
    counters: dict[str, int] | None = None,
    metrics: dict[str, float] | None = None,
) -> DeviceHealth:
    state, detail = health
    return DeviceHealth(
        state=_state(state),
        detail=detail[:MAX_TEXT],
        counters=counters or {},
        metrics=metrics or {},
    )


@dataclass(slots=True)
class ThermometerCounters:
    """Per-thermometer counts reported in the status (issue 4)."""

    readings: int = 0
    faults: int = 0
    fevers: int = 0
    empty_scene: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "readings": self.readings,
            "faults": self.faults,
            "fevers": self.fevers,
            "empty_scene": self.empty_scene,
        }


class FrameRate:
    """Frames per second of a camera, from its running frame counter."""

    def __init__(self) -> None:
        self._last: tuple[float, int] | None = None
        self.fps = 0.0

    def update(self, at: float, frames: int) -> float:
        if self._last is not None and at > self._last[0]:
            then, count = self._last
            self.fps = round((frames - count) / (at - then), 1)
        self._last = (at, frames)
        return self.fps
