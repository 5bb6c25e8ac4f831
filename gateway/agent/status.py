"""What the gate tells everyone about itself: device health, counters, the retained GateStatus."""

from __future__ import annotations

from dataclasses import dataclass

from devices.health import Health
from schemas.messages import MAX_TEXT, DeviceHealth


def device_health(
    health: Health,
    *,
    counters: dict[str, int] | None = None,
    metrics: dict[str, float] | None = None,
) -> DeviceHealth:
    state, detail = health
    return DeviceHealth(
        state=state,
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
