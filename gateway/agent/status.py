"""What the gate tells everyone about itself: each device's health and counts, the GateStatus.

:class:`LaneStatus` gathers the lane's devices (thermometer, code readers,
turnstile) and its pseudo-devices (the outbox, the whitelist snapshot) into the
retained :class:`~schemas.messages.GateStatus`; the loop publishes it on a timer
and whenever :meth:`LaneStatus.states` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from devices.code_reader import CodeReader
from devices.health import OK, Health, worst
from devices.thermometer.contract import Thermometer
from gateway.agent.barrier import Barrier
from gateway.agent.config import LaneConfig
from gateway.agent.readings import ThermometerFeed
from gateway.agent.uplink import Uplink
from gateway.snapshot.store import SnapshotStore
from kernel.clock import Clock, Monotonic
from schemas.messages import MAX_TEXT, DeviceHealth, GateStatus

NO_THERMOMETER = "no thermometer: guards measure by hand"
MAX_READER_COUNTERS = 16
"""The wire allows 16 counters per device (schemas.DeviceHealth)."""


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


class LaneStatus:
    def __init__(
        self,
        config: LaneConfig,
        *,
        thermometer: Thermometer | None,
        feed: ThermometerFeed,
        readers: tuple[CodeReader, ...],
        barrier: Barrier,
        uplink: Uplink,
        snapshots: SnapshotStore | None,
        stale: Callable[[datetime], bool],
        handheld: Callable[[], bool],
        clock: Clock,
        monotonic: Monotonic,
    ) -> None:
        self.site, self.gate, self.lane = config.site, config.gate, config.lane
        self.thermometer_name = config.thermometer_name
        self.thermometer = thermometer
        self.feed = feed
        self.readers = readers
        self.barrier = barrier
        self.uplink = uplink
        self.snapshots = snapshots
        self.stale = stale
        self.handheld = handheld
        self.clock = clock
        self.monotonic = monotonic
        self._frame_rates = {reader.name: FrameRate() for reader in readers}

    def states(self) -> dict[str, Health]:
        """Every device's health: what decides whether a status goes out now."""
        states: dict[str, Health] = {}
        if self.thermometer is not None:
            states[self.thermometer_name] = worst(
                self.thermometer.health(), self.feed.screening.state(), self.setup()
            )
        for reader in self.readers:
            states[reader.name] = reader.health()
        turnstile = self.barrier.turnstile
        states[turnstile.name] = turnstile.health()
        outbox = self.uplink.health()
        if outbox is not None:
            states["outbox"] = outbox
        if self.snapshots is not None:
            states["snapshot"] = self._snapshot_health(self.snapshots)
        return states

    def setup(self) -> Health:
        """``unconfigured`` while the thermometer misses a setting it needs (issue 20)."""
        if self.thermometer is None:
            return OK
        problem = self.thermometer.unconfigured or self.feed.unconfigured()
        return ("unconfigured", problem) if problem else OK

    def _snapshot_health(self, store: SnapshotStore) -> Health:
        if store.current is None:
            return "fault", "no whitelist snapshot: offline passages are denied"
        if self.stale(self.clock.now()):
            return "fault", "snapshot too old: NOT ADMITTING on the cache while offline"
        if store.last_error:
            return "degraded", f"last snapshot rejected: {store.last_error}"
        return OK

    def devices(self) -> dict[str, DeviceHealth]:
        states = self.states()
        out = {self.thermometer_name: self._thermometer(states)}
        now = self.monotonic()
        for reader in self.readers:
            counts = reader.stats()
            rate = self._frame_rates[reader.name]
            metrics = {"fps": rate.update(now, counts["frames"])} if "frames" in counts else {}
            kept = dict(sorted(counts.items())[:MAX_READER_COUNTERS])
            out[reader.name] = device_health(states[reader.name], counters=kept, metrics=metrics)
        turnstile = self.barrier.turnstile.name
        out[turnstile] = device_health(
            states[turnstile], counters={"pulses": self.barrier.stats.pulses}
        )
        if "outbox" in states:
            out["outbox"] = device_health(
                states["outbox"], counters={"waiting": self.uplink.backlog()}
            )
        if "snapshot" in states and self.snapshots is not None:
            age = self.snapshots.age_s(self.clock.now())
            out["snapshot"] = device_health(
                states["snapshot"],
                counters={"rejected": self.snapshots.rejected},
                metrics={} if age is None else {"age_s": round(age, 1)},
            )
        return out

    def _thermometer(self, states: dict[str, Health]) -> DeviceHealth:
        if self.thermometer is None:
            return DeviceHealth(state="absent", detail=NO_THERMOMETER)
        ambient = self.feed.ambient
        return device_health(
            states[self.thermometer_name],
            counters=self.feed.counts.as_dict(),
            metrics={} if ambient is None else {"ambient_c": float(ambient)},
        )

    def status(self, *, online: bool = True) -> GateStatus:
        return GateStatus(
            site=self.site,
            gate=self.gate,
            online=online,
            ts=self.clock.now(),
            mode="locked" if self.barrier.locked else ("online" if online else "offline"),
            devices=self.devices(),
            snapshot=self.snapshots.info() if self.snapshots is not None else None,
            outbox=self.uplink.backlog(),
            screening="handheld" if self.handheld() else "thermometer",
            lane=self.lane,
        )
