"""Building the lane's passages, publishing them, and remembering them until answered.

Each paired person (or the guard's re-measure) becomes a
:class:`~schemas.messages.Passage` with a time-ordered UUIDv7, the guard's mask mark
and the vehicle it belongs to, is handed to the uplink (which keeps it in the outbox
first), and waits for its Decision until ``decision_timeout_s``.  Recent passages
are remembered so a re-measure can copy their codes and a late answer is recognised.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from gateway.agent.config import AgentStats, LaneConfig
from gateway.agent.handheld import HANDHELD_SENSOR
from gateway.agent.uplink import Uplink
from gateway.agent.vehicles import VehicleLane
from gateway.outbox.store import OutboxError
from gateway.pairing import Paired
from kernel.clock import Clock, Monotonic
from kernel.errors import BusError
from kernel.logjson import passage_fields
from schemas.ids import uuid7
from schemas.messages import Credential, Override, Passage, Temperature

log = logging.getLogger(__name__)

REMEMBERED_PASSAGES = 256
"""Recent passages kept for re-measures and for ignoring repeated decisions."""


@dataclass(slots=True)
class _Waiting:
    passage: Passage
    deadline: float


class Passages:
    def __init__(
        self,
        config: LaneConfig,
        *,
        uplink: Uplink,
        vehicles: VehicleLane,
        clock: Clock,
        monotonic: Monotonic,
        stats: AgentStats,
    ) -> None:
        self.config = config
        self.uplink = uplink
        self.vehicles = vehicles
        self.clock = clock
        self.monotonic = monotonic
        self.stats = stats
        self.mask_next: bool | None = None
        self._waiting: dict[uuid.UUID, _Waiting] = {}
        self._recent: OrderedDict[uuid.UUID, Passage] = OrderedDict()

    # -- what the loop asks --------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Passages published and still waiting for their decision."""
        return len(self._waiting)

    def next_deadline(self) -> float | None:
        """When the first waiting passage runs out of time (monotonic seconds)."""
        return min((w.deadline for w in self._waiting.values()), default=None)

    def overdue(self, now: float) -> list[Passage]:
        """Passages whose decision did not come in time; they stop waiting."""
        late = [event_id for event_id, w in self._waiting.items() if w.deadline <= now]
        return [self._waiting.pop(event_id).passage for event_id in late]

    def claim(self, event_id: uuid.UUID) -> Passage | None:
        """The passage a Decision answers, if it is still waiting (it stops waiting)."""
        waiting = self._waiting.pop(event_id, None)
        return waiting.passage if waiting is not None else None

    def sent_recently(self, event_id: uuid.UUID) -> bool:
        return event_id in self._recent

    # -- building and publishing ---------------------------------------------------

    def publish_paired(self, person: Paired) -> None:
        """A paired person: their codes and their body reading, if any."""
        temperature = None
        if person.reading is not None:
            temperature = Temperature(
                celsius=person.reading.celsius,
                sensor=person.reading.sensor,
                measured_at=person.reading.at,
            )
        self.send(list(person.credentials), temperature)

    def remeasure(self, recheck_of: uuid.UUID, celsius: Decimal) -> None:
        """The guard's handheld reading for a passage that asked for a re-measure."""
        original = self._recent.get(recheck_of)
        if original is None:
            log.warning("gate %s: re-measure of unknown passage %s", self.config.gate, recheck_of)
            return
        reading = Temperature(celsius=celsius, sensor=HANDHELD_SENSOR, measured_at=self.clock.now())
        self.send(list(original.credentials), reading, recheck_of=recheck_of)

    def no_mask(self, recheck_of: uuid.UUID) -> None:
        """The guard saw no mask: the passage again, re-checking it, with ``mask: false``."""
        original = self._recent.get(recheck_of)
        if original is None:
            log.warning("gate %s: no-mask of unknown passage %s", self.config.gate, recheck_of)
            return
        self.mask_next = False
        self.send(list(original.credentials), original.temperature, recheck_of=recheck_of)

    def override(self, recheck_of: uuid.UUID, override: Override) -> Passage | None:
        """The guard opened the gate for the person of ``recheck_of``: a passage re-checking
        it, admitted here, that nobody waits on (the centre logs it and the override)."""
        original = self._recent.get(recheck_of)
        if original is None:
            log.warning("gate %s: override of unknown passage %s", self.config.gate, recheck_of)
            return None
        return self.send(
            list(original.credentials),
            original.temperature,
            recheck_of=recheck_of,
            override=override,
        )

    def manual(
        self, event_id: uuid.UUID, person_id: str, celsius: Decimal, by: str, mask: bool | None
    ) -> None:
        """A person the guard looked up at the gate's own kiosk: a ``manual`` credential
        with their id and the guard's handheld reading, entered by ``by``."""
        self.mask_next = mask
        reading = Temperature(celsius=celsius, sensor=HANDHELD_SENSOR, measured_at=self.clock.now())
        credential = Credential(kind="manual", data=person_id)
        self.send([credential], reading, entered_by=by, event_id=event_id)

    def send(
        self,
        credentials: list[Credential],
        temperature: Temperature | None,
        recheck_of: uuid.UUID | None = None,
        override: Override | None = None,
        *,
        entered_by: str | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Passage:
        now = self.clock.now()
        passage = Passage(
            event_id=event_id or uuid7(int(now.timestamp() * 1000)),
            site=self.config.site,
            gate=self.config.gate,
            direction=self.config.direction,
            ts=now,
            credentials=credentials,
            temperature=temperature,
            mask=self.mask_next,
            vehicle=self.vehicles.wire(),
            recheck_of=recheck_of,
            local_decision="admit" if override is not None else None,
            override=override,
            entered_by=entered_by,
        )
        self.mask_next = None
        passage = self.vehicles.attach(passage)
        self._remember(passage)
        if override is None:
            self._waiting[passage.event_id] = _Waiting(
                passage, self.monotonic() + self.config.decision_timeout_s
            )
        self.stats.passages += 1
        self._publish(passage)
        log.info(
            "gate %s: passage %s published (%d code(s), %s C)",
            self.config.gate,
            passage.event_id,
            len(credentials),
            temperature.celsius if temperature else "no",
            extra=passage_fields(event_id=passage.event_id, gate=self.config.gate),
        )
        return passage

    def _publish(self, passage: Passage) -> None:
        try:
            self.uplink.publish_passage(passage)
        except OutboxError as exc:
            # Reported in the status (device "outbox"); the guard must know.
            self.stats.outbox_failures += 1
            fields = passage_fields(event_id=passage.event_id, gate=self.config.gate)
            log.error("gate %s: passage %s NOT KEPT: %s", self.config.gate, passage.event_id, exc,
                      extra=fields)  # fmt: skip
        except BusError as exc:
            self.stats.publish_failures += 1
            log.error(
                "gate %s: passage %s not published: %s", self.config.gate, passage.event_id, exc,
                extra=passage_fields(event_id=passage.event_id, gate=self.config.gate),
            )  # fmt: skip

    def _remember(self, passage: Passage) -> None:
        self._recent[passage.event_id] = passage
        while len(self._recent) > REMEMBERED_PASSAGES:
            self._recent.popitem(last=False)
