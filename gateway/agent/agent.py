"""The gate agent of one lane: a single event loop over devices, uplink and guard.

Everything arrives on one :class:`~gateway.agent.events.Inbox` (device threads,
paho's thread and the guard's console only post events), so the lane's state is
owned by one thread and needs no locks.  The loop:

* thermometer readings -> raw telemetry (QoS 0, rate-limited), counters, and body
  readings into the :class:`~gateway.pairing.Pairer`; scans into the pairer too;
* each paired person -> a :class:`~schemas.messages.Passage` (UUIDv7) published
  through the :class:`~gateway.agent.uplink.Uplink`, awaited with a timeout;
* a Decision -> the turnstile is pulsed on ``admit`` and kept shut otherwise (at a
  vehicle lane only once every occupant is admitted); no Decision in time -> the
  :class:`Fallback` decides (the offline issue plugs local decisions in there),
  and without one the turnstile stays shut and the guard decides;
* Commands -> ``open`` lets one person through, ``lockdown`` locks the lane until
  ``release``, ``sync`` republishes the status and calls the sync hooks;
* the retained GateStatus every ``status_interval_s`` and whenever health changes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, Protocol

from devices.code_reader.contract import CodeReader
from devices.health import Health, worst
from devices.relay.turnstile import PULSE_S, Turnstile
from devices.thermometer.contract import Thermometer
from devices.thermometer.frames import Fault
from devices.thermometer.frames import Reading as RawReading
from devices.thermometer.screening import BodyConverter, ScreeningHealth, body_reading
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
from gateway.agent.status import FrameRate, ThermometerCounters, device_health
from gateway.agent.uplink import Uplink
from gateway.outbox.store import OutboxError
from gateway.pairing import Paired, Pairer
from gateway.pairing.pairer import DEFAULT_PRESENCE_MIN_C, DEFAULT_THRESHOLD_C, DEFAULT_WINDOW_S
from gateway.snapshot.store import SnapshotStore
from gateway.vehicle import VehicleGroup
from kernel.clock import Clock, Monotonic
from kernel.errors import BusError
from schemas.ids import uuid7
from schemas.messages import (
    Command,
    Credential,
    Decision,
    DeviceHealth,
    Direction,
    GateStatus,
    Passage,
    Reading,
    Temperature,
)

log = logging.getLogger(__name__)

DECISION_TIMEOUT_S = 3.0
STATUS_INTERVAL_S = 10.0
HEALTH_CHECK_S = 0.5
"""How often device health is polled for changes worth an immediate status."""
READING_INTERVAL_S = 0.2
"""Raw telemetry is published at most this often per reading kind (QoS 0)."""
UNSOLICITED_MAX_AGE_S = 10.0
"""A decision this gate did not ask for (a kiosk re-measure) is acted on only while fresh."""
REMEMBERED_PASSAGES = 256
"""Recent passages kept for re-measures and for ignoring repeated decisions."""
HANDHELD_SENSOR = "handheld"
MAX_LOOP_WAIT_S = 1.0
CONNECT_RETRY_S = 2.0
"""A gate that started without its broker tries to connect this often."""


class Fallback(Protocol):
    """Decides a passage no Decision came for in time; None leaves it to the guard."""

    def decide(self, passage: Passage) -> Decision | None: ...

    def stale(self, now: datetime) -> bool:
        """True when its facts are too old to admit anyone on."""
        ...


class NoFallback:
    """Online-only gate: without an answer the turnstile stays shut."""

    def decide(self, passage: Passage) -> Decision | None:
        return None

    def stale(self, now: datetime) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class LaneConfig:
    site: str
    gate: str
    direction: Direction = "in"
    lane: Literal["person", "vehicle"] = "person"
    decision_timeout_s: float = DECISION_TIMEOUT_S
    pulse_s: float = PULSE_S
    pairing_window_s: float = DEFAULT_WINDOW_S
    gather_s: float = 0.0
    presence_min: Decimal = DEFAULT_PRESENCE_MIN_C
    threshold: Decimal = DEFAULT_THRESHOLD_C
    surface_offset: Decimal | None = None
    status_interval_s: float = STATUS_INTERVAL_S
    thermometer_name: str = "thermometer"


@dataclass(slots=True)
class _Waiting:
    passage: Passage
    deadline: float


@dataclass(slots=True)
class AgentStats:
    passages: int = 0
    decisions: int = 0
    admitted: int = 0
    pulses: int = 0
    no_answer: int = 0
    late_decisions: int = 0
    ignored_decisions: int = 0
    commands: int = 0
    publish_failures: int = 0
    outbox_failures: int = 0
    local_decisions: int = 0
    forwarded_answers: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


DecisionListener = Callable[[Decision, Passage | None], None]


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
        self.config = config
        self.inbox = inbox
        self.uplink = uplink
        self.turnstile = turnstile
        self.thermometer = thermometer
        self.readers = readers
        self.clock = clock
        self.monotonic = monotonic
        self.fallback = fallback or NoFallback()
        self.snapshots = snapshots
        # Last time the central side was heard (a decision, the policy, a snapshot).
        self.last_contact: datetime | None = None
        self.on_decision = on_decision
        self.on_sync: list[Callable[[], None]] = []
        self.pairer = Pairer(
            window_s=config.pairing_window_s,
            gather_s=config.gather_s,
            presence_min=config.presence_min,
            threshold=config.threshold,
        )
        self.converter = (
            BodyConverter(config.surface_offset) if config.surface_offset is not None else None
        )
        self.screening = ScreeningHealth()
        self.thermo_counts = ThermometerCounters()
        self.stats = AgentStats()
        self.locked = False
        self.online = False
        self.vehicle: VehicleGroup | None = None
        self.mask_next: bool | None = None
        self.last_decision: Decision | None = None
        self._waiting: dict[uuid.UUID, _Waiting] = {}
        self._recent: OrderedDict[uuid.UUID, Passage] = OrderedDict()
        self._acted: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._last_reading_sent: dict[str, float] = {}
        self._frame_rates = {reader.name: FrameRate() for reader in readers}
        self._last_ambient: Decimal | None = None
        self._last_status_at = float("-inf")
        self._last_health_check = float("-inf")
        self._last_health: dict[str, Health] = {}
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._closed = False
        self._uplink_started = False
        self._next_connect = float("inf")
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start devices and uplink, then run the loop on its own thread."""
        self.open_devices()
        self._thread = threading.Thread(target=self.run, name="gate-agent", daemon=True)
        self._thread.start()

    def open_devices(self) -> None:
        self.turnstile.start()
        if self.thermometer is not None:
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

    @property
    def waiting(self) -> int:
        """Passages published and still waiting for their decision."""
        return len(self._waiting)

    # -- guard actions (thread-safe: they run on the loop) ------------------------

    def remeasure(self, recheck_of: uuid.UUID, celsius: Decimal) -> None:
        """The guard's handheld reading for a passage that asked for a re-measure."""
        self.inbox.put(GuardAction(lambda: self._remeasure(recheck_of, celsius)))

    def mark_no_mask(self) -> None:
        """The next passage carries ``mask: false`` (the person may put one on and retry)."""
        self.inbox.put(GuardAction(lambda: setattr(self, "mask_next", False)))

    def begin_vehicle(self, plate: str, occupants: int) -> None:
        """A vehicle arrives at a vehicle lane: its occupants' passages form one group."""
        self.inbox.put(GuardAction(lambda: self._begin_vehicle(plate, occupants)))

    # -- the loop ------------------------------------------------------------------

    def _wait_time(self) -> float:
        now = self.monotonic()
        deadlines = [self._last_status_at + self.config.status_interval_s, now + MAX_LOOP_WAIT_S]
        pairing = self.pairer.next_deadline()
        if pairing is not None:
            deadlines.append(pairing)
        deadlines.extend(w.deadline for w in self._waiting.values())
        return max(min(deadlines) - now, 0.0)

    def _handle(self, event: AgentEvent) -> None:
        match event:
            case ScanSeen(scan):
                self._publish_all(self.pairer.scan(scan.text, self.monotonic()))
            case ThermometerSaw(reading) if isinstance(reading, RawReading):
                self._on_reading(reading)
            case ThermometerSaw(fault) if isinstance(fault, Fault):
                self.thermo_counts.faults += 1
                log.debug("gate %s: thermometer fault %s", self.config.gate, fault.detail)
            case DecisionArrived(decision):
                self.last_contact = self.clock.now()
                self._on_decision(decision)
            case CommandArrived(command):
                self._on_command(command)
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
        try:
            self.uplink.pump(now)
        except OutboxError as exc:
            log.error("gate %s: outbox: %s", self.config.gate, exc)
        for event_id in [e for e, w in self._waiting.items() if w.deadline <= now]:
            self._no_answer(self._waiting.pop(event_id).passage)
        if now - self._last_health_check >= HEALTH_CHECK_S:
            self._last_health_check = now
            health = self._device_states()
            if health != self._last_health:
                self._last_health = health
                self._publish_status()
        if now - self._last_status_at >= self.config.status_interval_s:
            self._publish_status()

    # -- thermometer ---------------------------------------------------------------

    def _on_reading(self, reading: RawReading) -> None:
        self.thermo_counts.readings += 1
        self.screening.observe(reading)
        if reading.kind == "ambient":
            self._last_ambient = reading.celsius
        self._publish_reading(reading)
        body = body_reading(reading, self.converter)
        if body is None:
            return
        before = self.pairer.empty_scene_readings
        self._publish_all(self.pairer.reading(body, self.monotonic()))
        self.thermo_counts.empty_scene += self.pairer.empty_scene_readings - before

    def _publish_reading(self, reading: RawReading) -> None:
        now = self.monotonic()
        if now - self._last_reading_sent.get(reading.kind, float("-inf")) < READING_INTERVAL_S:
            return
        self._last_reading_sent[reading.kind] = now
        message = Reading(
            site=self.config.site,
            gate=self.config.gate,
            sensor=reading.sensor,
            kind=reading.kind,
            celsius=reading.celsius,
            ts=reading.at,
        )
        try:
            self.uplink.publish_reading(message)
        except BusError as exc:  # telemetry is best effort (QoS 0)
            log.debug("gate %s: reading not published: %s", self.config.gate, exc)

    # -- passages ------------------------------------------------------------------

    def _publish_all(self, paired: list[Paired]) -> None:
        for person in paired:
            temperature = None
            if person.reading is not None:
                temperature = Temperature(
                    celsius=person.reading.celsius,
                    sensor=person.reading.sensor,
                    measured_at=person.reading.at,
                )
                if person.reading.celsius >= self.pairer.threshold:
                    self.thermo_counts.fevers += 1
            self._send(list(person.credentials), temperature)

    def _send(
        self,
        credentials: list[Credential],
        temperature: Temperature | None,
        recheck_of: uuid.UUID | None = None,
    ) -> Passage:
        now = self.clock.now()
        vehicle = self.vehicle
        passage = Passage(
            event_id=uuid7(int(now.timestamp() * 1000)),
            site=self.config.site,
            gate=self.config.gate,
            direction=self.config.direction,
            ts=now,
            credentials=credentials,
            temperature=temperature,
            mask=self.mask_next,
            vehicle=vehicle.wire() if vehicle is not None else None,
            recheck_of=recheck_of,
        )
        self.mask_next = None
        if vehicle is not None:
            try:
                vehicle.add(passage.event_id, recheck_of)
            except ValueError as exc:
                # More people than announced: the guard must start a new vehicle.
                log.warning("gate %s: %s; passage sent without the vehicle", self.config.gate, exc)
                passage = passage.model_copy(update={"vehicle": None})
        self._remember(passage)
        self._waiting[passage.event_id] = _Waiting(
            passage, self.monotonic() + self.config.decision_timeout_s
        )
        self.stats.passages += 1
        try:
            self.uplink.publish_passage(passage)
        except OutboxError as exc:
            # Reported in the status (device "outbox"); the guard must know.
            self.stats.outbox_failures += 1
            log.error("gate %s: passage %s NOT KEPT: %s", self.config.gate, passage.event_id, exc)
        except BusError as exc:
            self.stats.publish_failures += 1
            log.error(
                "gate %s: passage %s not published: %s", self.config.gate, passage.event_id, exc
            )
        log.info(
            "gate %s: passage %s published (%d code(s), %s C)",
            self.config.gate,
            passage.event_id,
            len(credentials),
            temperature.celsius if temperature else "no",
        )
        return passage

    def _remember(self, passage: Passage) -> None:
        self._recent[passage.event_id] = passage
        while len(self._recent) > REMEMBERED_PASSAGES:
            self._recent.popitem(last=False)

    def _remeasure(self, recheck_of: uuid.UUID, celsius: Decimal) -> None:
        original = self._recent.get(recheck_of)
        if original is None:
            log.warning("gate %s: re-measure of unknown passage %s", self.config.gate, recheck_of)
            return
        reading = Temperature(celsius=celsius, sensor=HANDHELD_SENSOR, measured_at=self.clock.now())
        self._send(list(original.credentials), reading, recheck_of=recheck_of)

    def _begin_vehicle(self, plate: str, occupants: int) -> None:
        if self.config.lane != "vehicle":
            log.warning("gate %s: not a vehicle lane; vehicle %s ignored", self.config.gate, plate)
            return
        self.vehicle = VehicleGroup(plate=plate, occupants=occupants)
        log.info("gate %s: vehicle %s with %d occupant(s)", self.config.gate, plate, occupants)

    # -- decisions -----------------------------------------------------------------

    def _on_decision(self, decision: Decision) -> None:
        event_id = decision.event_id
        kept = self._answered(event_id)
        if event_id in self._acted:
            self.stats.ignored_decisions += 1  # QoS 1 may deliver an answer twice
            return
        waiting = self._waiting.pop(event_id, None)
        if waiting is None:
            if kept:
                # The answer to a passage forwarded from the outbox (after an outage
                # or a restart): logged centrally, nobody is waiting at the lane.
                self.stats.forwarded_answers += 1
                self._mark_acted(event_id)
                return
            if event_id in self._recent:
                # We gave up on it: the person was told to see the guard already.
                self.stats.late_decisions += 1
                log.warning("gate %s: late decision for %s ignored", self.config.gate, event_id)
                self._mark_acted(event_id)
                return
            age = self.clock.now() - decision.decided_at
            if age > timedelta(seconds=UNSOLICITED_MAX_AGE_S):
                self.stats.ignored_decisions += 1
                return
        self._act(decision, waiting.passage if waiting else None)

    def _act(self, decision: Decision, passage: Passage | None) -> None:
        self._mark_acted(decision.event_id)
        self.stats.decisions += 1
        self.stats.outcomes[decision.decision] = self.stats.outcomes.get(decision.decision, 0) + 1
        self.last_decision = decision
        vehicle = self.vehicle
        if vehicle is not None and vehicle.owns(decision.event_id):
            vehicle.record(decision.event_id, decision.decision)
            if vehicle.cleared:
                log.info("gate %s: vehicle %s cleared", self.config.gate, vehicle.plate)
                self.vehicle = None
                self._pulse()
            elif vehicle.screened == vehicle.occupants:
                log.info(
                    "gate %s: vehicle %s held: %d occupant(s) not admitted",
                    self.config.gate,
                    vehicle.plate,
                    len(vehicle.blocking()),
                )
        elif decision.decision == "admit":
            self.stats.admitted += 1
            self._pulse()
        log.info(
            "gate %s: %s %s (%s)",
            self.config.gate,
            decision.event_id,
            decision.decision.upper(),
            ", ".join(decision.reasons) or "ok",
        )
        if self.on_decision is not None:
            self.on_decision(decision, passage)

    def _answered(self, event_id: uuid.UUID) -> bool:
        try:
            return self.uplink.answered(event_id)
        except OutboxError as exc:
            log.error("gate %s: outbox: %s", self.config.gate, exc)
            return False

    def _mark_acted(self, event_id: uuid.UUID) -> None:
        self._acted[event_id] = None
        while len(self._acted) > REMEMBERED_PASSAGES:
            self._acted.popitem(last=False)

    def _no_answer(self, passage: Passage) -> None:
        decision = self.fallback.decide(passage)
        if decision is not None:
            # Decided here: forward it later with the local decision, for the audit.
            self.stats.local_decisions += 1
            try:
                self.uplink.keep(passage.model_copy(update={"local_decision": decision.decision}))
            except OutboxError as exc:
                log.error("gate %s: outbox: %s", self.config.gate, exc)
            self._act(decision, passage)
            return
        self.stats.no_answer += 1
        log.warning(
            "gate %s: no decision for %s within %.1f s: turnstile stays shut, the guard decides",
            self.config.gate,
            passage.event_id,
            self.config.decision_timeout_s,
        )

    def _pulse(self) -> None:
        if self.locked:
            log.warning("gate %s: locked down, admit not acted on", self.config.gate)
            return
        if self.turnstile.pulse(self.config.pulse_s):
            self.stats.pulses += 1

    # -- commands --------------------------------------------------------------------

    def _on_command(self, command: Command) -> None:
        self.stats.commands += 1
        log.info(
            "gate %s: command %s by %s (%s)",
            self.config.gate,
            command.command,
            command.issued_by,
            command.reason or "no reason given",
        )
        if command.command == "open":
            if self.locked:
                log.warning("gate %s: open refused while locked down", self.config.gate)
            elif self.turnstile.pulse(self.config.pulse_s):
                self.stats.pulses += 1
        elif command.command == "lockdown":
            self.locked = True
            self.turnstile.close()
        elif command.command == "release":
            self.locked = False
        elif command.command == "sync":
            for hook in self.on_sync:
                hook()
        self._publish_status()

    # -- status ----------------------------------------------------------------------

    def _device_states(self) -> dict[str, Health]:
        states: dict[str, Health] = {}
        if self.thermometer is not None:
            states[self.config.thermometer_name] = worst(
                self.thermometer.health(), self.screening.state()
            )
        for reader in self.readers:
            states[reader.name] = reader.health()
        states[self.turnstile.name] = self.turnstile.health()
        outbox = self.uplink.health()
        if outbox is not None:
            states["outbox"] = outbox
        if self.snapshots is not None:
            states["snapshot"] = self._snapshot_health()
        return states

    def _snapshot_health(self) -> Health:
        store = self.snapshots
        assert store is not None
        if store.current is None:
            return "fault", "no whitelist snapshot: offline passages are denied"
        if self.fallback.stale(self.clock.now()):
            return "fault", "snapshot too old: NOT ADMITTING on the cache while offline"
        if store.last_error:
            return "degraded", f"last snapshot rejected: {store.last_error}"
        return "ok", ""

    def devices(self) -> dict[str, DeviceHealth]:
        now = self.monotonic()
        out: dict[str, DeviceHealth] = {}
        states = self._device_states()
        if self.thermometer is not None:
            name = self.config.thermometer_name
            metrics = {} if self._last_ambient is None else {"ambient_c": float(self._last_ambient)}
            out[name] = device_health(
                states[name], counters=self.thermo_counts.as_dict(), metrics=metrics
            )
        else:
            out[self.config.thermometer_name] = DeviceHealth(
                state="absent", detail="no thermometer: guards measure by hand"
            )
        for reader in self.readers:
            counts = reader.stats()
            rate = self._frame_rates[reader.name]
            metrics = {"fps": rate.update(now, counts["frames"])} if "frames" in counts else {}
            kept = dict(sorted(counts.items())[:16])
            out[reader.name] = device_health(states[reader.name], counters=kept, metrics=metrics)
        out[self.turnstile.name] = device_health(
            states[self.turnstile.name], counters={"pulses": self.stats.pulses}
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

    def status(self, *, online: bool = True) -> GateStatus:
        return GateStatus(
            site=self.config.site,
            gate=self.config.gate,
            online=online,
            ts=self.clock.now(),
            mode="locked" if self.locked else ("online" if online else "offline"),
            devices=self.devices(),
            snapshot=self.snapshots.info() if self.snapshots is not None else None,
            outbox=self.uplink.backlog(),
        )

    def _publish_status(self, *, online: bool = True) -> None:
        self._last_status_at = self.monotonic()
        try:
            self.uplink.publish_status(self.status(online=online))
        except BusError as exc:
            log.warning("gate %s: status not published: %s", self.config.gate, exc)
