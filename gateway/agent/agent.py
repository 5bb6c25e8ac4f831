"""The gate agent of one lane: a single event loop over devices, uplink and guard.

Everything arrives on one :class:`~gateway.agent.events.Inbox` (device threads,
paho's thread and the guard's console only post events), so the lane's state is
owned by one thread and needs no locks.  This module is the loop; each kind of
work has its own module:

* thermometer readings -> :mod:`.readings` (counts, telemetry, body readings), then
  the :class:`~gateway.pairing.Pairer` with the scans;
* each paired person -> a passage, published and awaited (:mod:`.passages`);
* a Decision, or none in time -> the turnstile, the vehicle, the offline
  :class:`~gateway.agent.decisions.Fallback` (:mod:`.decisions`, :mod:`.vehicles`,
  :mod:`.barrier`);
* Commands -> :mod:`.commands`;
* the retained GateStatus every ``status_interval_s`` and whenever a device's health
  changes (:mod:`.status`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from devices.code_reader import CodeReader
from devices.health import Health
from devices.relay.turnstile import Turnstile
from devices.thermometer.contract import Thermometer
from devices.thermometer.frames import Fault
from devices.thermometer.frames import Reading as RawReading
from gateway.agent.barrier import Barrier
from gateway.agent.commands import carry_out
from gateway.agent.config import AgentStats, LaneConfig
from gateway.agent.decisions import DecisionListener, Decisions, Fallback
from gateway.agent.events import (
    AgentEvent,
    CommandArrived,
    ConnectionChanged,
    DecisionArrived,
    GuardAction,
    Inbox,
    PolicyArrived,
    ScanSeen,
    SnapshotArrived,
    ThermometerSaw,
)
from gateway.agent.handheld import Choice, Handheld, handheld_celsius
from gateway.agent.passages import Passages
from gateway.agent.readings import ThermometerCounters, ThermometerFeed
from gateway.agent.status import LaneStatus
from gateway.agent.uplink import Uplink
from gateway.agent.vehicles import VehicleLane
from gateway.outbox.store import OutboxError
from gateway.pairing import Paired, Pairer
from gateway.snapshot.store import SnapshotStore
from gateway.vehicle import VehicleGroup
from kernel.clock import Clock, Monotonic
from kernel.errors import BusError
from schemas.ids import uuid7
from schemas.messages import Decision, DeviceHealth, GateStatus, Override

__all__ = ["AgentStats", "Fallback", "GateAgent", "LaneConfig"]

log = logging.getLogger(__name__)

HEALTH_CHECK_S = 0.5
"""How often device health is polled for changes worth an immediate status."""
MAX_LOOP_WAIT_S = 1.0
CONNECT_RETRY_S = 2.0
"""A gate that started without its broker tries to connect this often."""


class GateAgent:
    """One lane's agent.  ``run(stop)`` is the loop; ``start()`` runs it on a thread."""

    def __init__(
        self,
        config: LaneConfig,
        *,
        inbox: Inbox,
        uplink: Uplink,
        turnstile: Turnstile,
        thermometer: Thermometer | None = None,
        readers: tuple[CodeReader, ...] = (),
        clock: Clock,
        monotonic: Monotonic = time.monotonic,
        fallback: Fallback | None = None,
        snapshots: SnapshotStore | None = None,
        on_decision: DecisionListener | None = None,
    ) -> None:
        # Long because it wires the lane's parts to each other, one statement per part.
        self.config = config
        self.inbox = inbox
        self.uplink = uplink
        self.turnstile = turnstile
        self.thermometer = thermometer
        self.readers = readers
        self.clock = clock
        self.monotonic = monotonic
        self.snapshots = snapshots
        # Last time the central side was heard (a decision, the policy, a snapshot).
        self.last_contact: datetime | None = None
        self.on_sync: list[Callable[[], None]] = []
        # Called on the loop with every status it makes (the local kiosk), even offline.
        self.on_status: list[Callable[[GateStatus], None]] = []
        self.online = False
        self.stats = AgentStats()
        self.pairer = Pairer(
            window_s=config.pairing_window_s,
            gather_s=config.gather_s,
            presence_min=config.presence_min,
            threshold=config.threshold,
        )
        self.feed = ThermometerFeed(config, uplink=uplink, monotonic=monotonic)
        self.handheld = Handheld()
        self.barrier = Barrier(turnstile, pulse_s=config.pulse_s, stats=self.stats)
        self.vehicles = VehicleLane(config)
        self.passages = Passages(
            config,
            uplink=uplink,
            vehicles=self.vehicles,
            clock=clock,
            monotonic=monotonic,
            stats=self.stats,
        )
        self.decisions = Decisions(
            config,
            passages=self.passages,
            vehicles=self.vehicles,
            barrier=self.barrier,
            uplink=uplink,
            clock=clock,
            stats=self.stats,
            fallback=fallback,
            on_decision=on_decision,
        )
        self.lane_status = LaneStatus(
            config,
            thermometer=thermometer,
            feed=self.feed,
            readers=readers,
            barrier=self.barrier,
            uplink=uplink,
            snapshots=snapshots,
            stale=self._fallback_stale,
            handheld=lambda: self.handheld.active,
            clock=clock,
            monotonic=monotonic,
        )
        self._last_status_at = float("-inf")
        self._last_health_check = float("-inf")
        self._last_health: dict[str, Health] = {}
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._closed = False
        self._uplink_started = False
        self._next_connect = float("inf")
        self._thread: threading.Thread | None = None

    # -- what others read and set ----------------------------------------------------

    @property
    def fallback(self) -> Fallback:
        return self.decisions.fallback

    @fallback.setter
    def fallback(self, fallback: Fallback) -> None:
        # Set after construction: the offline decider reads the agent's lock and contact.
        self.decisions.fallback = fallback

    def _fallback_stale(self, now: datetime) -> bool:
        # Looked up on each call: the fallback is replaced after construction.
        return self.decisions.fallback.stale(now)

    @property
    def locked(self) -> bool:
        return self.barrier.locked

    @property
    def vehicle(self) -> VehicleGroup | None:
        return self.vehicles.current

    @property
    def last_decision(self) -> Decision | None:
        return self.decisions.last_decision

    @property
    def thermo_counts(self) -> ThermometerCounters:
        return self.feed.counts

    @property
    def waiting(self) -> int:
        """Passages published and still waiting for their decision."""
        return self.passages.waiting

    def devices(self) -> dict[str, DeviceHealth]:
        return self.lane_status.devices()

    def status(self, *, online: bool = True) -> GateStatus:
        return self.lane_status.status(online=online)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start devices and uplink, then run the loop on its own thread."""
        self.open_devices()
        self._thread = threading.Thread(target=self.run, name="gate-agent", daemon=True)
        self._thread.start()

    def open_devices(self) -> None:
        self.turnstile.start()
        if self.thermometer is not None:
            problem = self.thermometer.unconfigured
            if problem:
                # Said at start, not discovered person by person as recheck no_temperature.
                log.warning("gate %s: thermometer %s", self.config.gate, problem)
            self.thermometer.start()
        for reader in self.readers:
            reader.start()
        self._start_uplink()

    def _start_uplink(self) -> None:
        # Connecting may take seconds (a blackholed broker): never on the lane's loop.
        self._next_connect = float("inf")
        threading.Thread(target=self._connect_once, name="uplink-connect", daemon=True).start()

    def _connect_once(self) -> None:
        try:
            self.uplink.start()
        except BusError as exc:
            # The lane keeps working on its own (outbox, local decisions) and tries
            # again; once connected, paho reconnects by itself.
            self._next_connect = self.monotonic() + CONNECT_RETRY_S
            log.error("gate %s: %s; retrying in %.0f s", self.config.gate, exc, CONNECT_RETRY_S)
            return
        self.online = True
        self._uplink_started = True
        self.inbox.put(ConnectionChanged(True))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop, say goodbye on the status topic, release every device."""
        self._stop.set()
        self.inbox.put(GuardAction(lambda: None))  # wake the loop now
        if self._thread is not None:
            self._thread.join(timeout)
        self.close_devices()

    def close_devices(self) -> None:
        if self._closed:
            return
        self._closed = True
        for reader in self.readers:
            reader.close()
        if self.thermometer is not None:
            self.thermometer.close()
        self.turnstile.shutdown()
        if self.online:
            self._publish_status(online=False)
        self.uplink.close()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        try:
            self._publish_status()
            while not stop.is_set() and not self._stop.is_set():
                event = self.inbox.get(self._wait_time())
                if event is not None:
                    self._handle(event)
                self._housekeeping()
        finally:
            self._stopped.set()

    # -- guard actions (thread-safe: they run on the loop) ------------------------

    def remeasure(self, recheck_of: uuid.UUID, celsius: Decimal) -> None:
        """The guard's handheld reading for a passage that asked for a re-measure."""
        self.inbox.put(GuardAction(lambda: self.passages.remeasure(recheck_of, celsius)))

    def no_mask(self, event_id: uuid.UUID) -> None:
        """The guard saw no mask on the person of ``event_id``: re-checked with ``mask: false``."""
        self.inbox.put(GuardAction(lambda: self.passages.no_mask(event_id)))

    def override(self, event_id: uuid.UUID, reason: str, by: str) -> None:
        """The guard opens the gate by hand (logged centrally); ValueError on a fever."""
        if self.decisions.outcome_of(event_id) == "isolate":
            raise ValueError("fever and isolation go to the clinic")
        chosen = Override(by=by, reason=reason)
        self.inbox.put(GuardAction(lambda: self.decisions.override(event_id, chosen)))

    def mark_no_mask(self) -> None:
        """The next passage carries ``mask: false`` (the person may put one on and retry)."""
        self.inbox.put(GuardAction(lambda: setattr(self.passages, "mask_next", False)))

    def typed_temperature(self, celsius: Decimal | str) -> None:
        """Handheld mode: the guard's reading for the person before or after their scan.

        Raises ValueError for what is not a person's temperature (see handheld_celsius).
        """
        value = handheld_celsius(celsius)
        self.inbox.put(GuardAction(lambda: self._typed(value)))

    def manual_passage(
        self, person_id: str, celsius: Decimal, by: str, mask: bool | None = True
    ) -> uuid.UUID:
        """A person guard ``by`` looked up at the local kiosk: a passage by their id (a
        ``manual`` credential) and the typed reading, through the outbox; its event id."""
        event_id = uuid7(int(self.clock.now().timestamp() * 1000))
        send = self.passages.manual
        self.inbox.put(GuardAction(lambda: send(event_id, person_id, celsius, by, mask)))
        return event_id

    def choose_screening(self, choice: Choice) -> None:
        """The guard's choice: ``handheld``, ``thermometer``, or ``auto`` (by its health)."""
        self.inbox.put(GuardAction(lambda: self._choose(choice)))

    def begin_vehicle(self, plate: str, occupants: int) -> None:
        """A vehicle arrives at a vehicle lane: its occupants' passages form one group."""
        self.inbox.put(GuardAction(lambda: self.vehicles.begin(plate, occupants)))

    # -- the loop ------------------------------------------------------------------

    def _wait_time(self) -> float:
        now = self.monotonic()
        deadlines = [self._last_status_at + self.config.status_interval_s, now + MAX_LOOP_WAIT_S]
        for deadline in (
            self.pairer.next_deadline(),
            self.passages.next_deadline(),
            self.handheld.next_deadline(),
        ):
            if deadline is not None:
                deadlines.append(deadline)
        return max(min(deadlines) - now, 0.0)

    def _handle(self, event: AgentEvent) -> None:
        match event:
            case ScanSeen(scan) if self.handheld.active:
                self._publish_all(self.handheld.scan(scan.text, self.monotonic()))
            case ScanSeen(scan):
                self._publish_all(self.pairer.scan(scan.text, self.monotonic()))
            case ThermometerSaw(reading) if isinstance(reading, RawReading):
                self._on_reading(reading)
            case ThermometerSaw(fault) if isinstance(fault, Fault):
                self.feed.fault(fault)
            case DecisionArrived(decision):
                self.last_contact = self.clock.now()
                self.decisions.arrived(decision)
            case CommandArrived(command):
                carry_out(
                    command,
                    gate=self.config.gate,
                    barrier=self.barrier,
                    vehicles=self.vehicles,
                    stats=self.stats,
                    on_sync=self.on_sync,
                )
                self._publish_status()
            case PolicyArrived(policy):
                # The central policy's threshold also decides which unscanned readings alert.
                self.pairer.threshold = policy.threshold
                self.last_contact = self.clock.now()
            case SnapshotArrived(envelope):
                self.last_contact = self.clock.now()
                if self.snapshots is not None and self.snapshots.install(envelope):
                    self._publish_status()
            case ConnectionChanged(online):
                self.online = online
                if online:
                    self._publish_status()
            case GuardAction(run):
                run()

    def _housekeeping(self) -> None:
        now = self.monotonic()
        if not self._uplink_started and now >= self._next_connect:
            self._start_uplink()
        self._publish_all(self.pairer.tick(now))
        self._publish_all(self.handheld.tick(now))
        try:
            self.uplink.pump(now)
        except OutboxError as exc:
            log.error("gate %s: outbox: %s", self.config.gate, exc)
        for passage in self.passages.overdue(now):
            self.decisions.no_answer(passage)
        if now - self._last_health_check >= HEALTH_CHECK_S:
            self._last_health_check = now
            health = self.lane_status.states()
            if health != self._last_health:
                self._last_health = health
                self._follow_thermometer(health)
                self._publish_status()
        if now - self._last_status_at >= self.config.status_interval_s:
            self._publish_status()

    # -- handheld mode --------------------------------------------------------------

    def _follow_thermometer(self, health: dict[str, Health]) -> None:
        """Automatic handheld mode while the thermometer cannot screen (issue 20)."""
        if self.thermometer is None:
            usable = not self.config.handheld_when_absent
        else:
            state, _ = health.get(self.config.thermometer_name, ("ok", ""))
            usable = state not in ("fault", "unconfigured")
        self._publish_all(self.handheld.follow(usable, gate=self.config.gate))

    def _choose(self, choice: Choice) -> None:
        self._publish_all(self.handheld.choose(choice, gate=self.config.gate))
        self._publish_status()

    def _typed(self, celsius: Decimal) -> None:
        if not self.handheld.active:
            log.warning(
                "gate %s: typed %s C ignored: the lane is not in handheld mode",
                self.config.gate,
                celsius,
            )
            return
        self._publish_all(self.handheld.typed(celsius, self.clock.now(), self.monotonic()))

    def _on_reading(self, reading: RawReading) -> None:
        body = self.feed.reading(reading)
        if body is None:
            return
        before = self.pairer.empty_scene_readings
        self._publish_all(self.pairer.reading(body, self.monotonic()))
        self.feed.counts.empty_scene += self.pairer.empty_scene_readings - before

    def _publish_all(self, paired: list[Paired]) -> None:
        for person in paired:
            if person.reading is not None and person.reading.celsius >= self.pairer.threshold:
                self.feed.counts.fevers += 1
            self.passages.publish_paired(person)

    def _publish_status(self, *, online: bool = True) -> None:
        self._last_status_at = self.monotonic()
        status = self.status(online=online)
        for hook in self.on_status:
            hook(status.model_copy(update={"online": online and self.online}))
        try:
            self.uplink.publish_status(status)
        except BusError as exc:
            log.warning("gate %s: status not published: %s", self.config.gate, exc)
