"""Acting on Decisions: each one once, for the passage it answers, and a local one when none came.

A Decision for a waiting passage is acted on: ``admit`` pulses the turnstile (at a
vehicle lane only once every occupant is admitted), anything else keeps it shut.
QoS 1 may deliver an answer twice: the second is ignored.  The answer to a passage
forwarded from the outbox, or one that came after the lane gave up, is only
counted.  An answer the lane did not ask for (a kiosk re-measure) is acted on
while fresh.  A passage whose answer did not come in time goes to the
:class:`Fallback` (the offline decider); without one the guard decides.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from gateway.agent.barrier import Barrier
from gateway.agent.config import AgentStats, LaneConfig
from gateway.agent.passages import REMEMBERED_PASSAGES, Passages
from gateway.agent.uplink import Uplink
from gateway.agent.vehicles import VehicleLane
from gateway.outbox.store import OutboxError
from kernel.clock import Clock
from kernel.logjson import passage_fields
from schemas.messages import Decision, Override, Passage

log = logging.getLogger(__name__)

UNSOLICITED_MAX_AGE_S = 10.0
REMEMBERED_OUTCOMES = 256
"""A decision this gate did not ask for (a kiosk re-measure) is acted on only while fresh."""

DecisionListener = Callable[[Decision, Passage | None], None]


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


class Decisions:
    def __init__(
        self,
        config: LaneConfig,
        *,
        passages: Passages,
        vehicles: VehicleLane,
        barrier: Barrier,
        uplink: Uplink,
        clock: Clock,
        stats: AgentStats,
        fallback: Fallback | None = None,
        on_decision: DecisionListener | None = None,
    ) -> None:
        self.config = config
        self.passages = passages
        self.vehicles = vehicles
        self.barrier = barrier
        self.uplink = uplink
        self.clock = clock
        self.stats = stats
        self.fallback: Fallback = fallback or NoFallback()
        self.on_decision = on_decision
        self.last_decision: Decision | None = None
        # Recent outcomes, read by the kiosk's thread: a fever is never overridden.
        self._outcomes: OrderedDict[uuid.UUID, str] = OrderedDict()
        self._acted: OrderedDict[uuid.UUID, None] = OrderedDict()

    def arrived(self, decision: Decision) -> None:
        """A Decision came from the central side."""
        event_id = decision.event_id
        kept = self._answered(event_id)
        if event_id in self._acted:
            self.stats.ignored_decisions += 1  # QoS 1 may deliver an answer twice
            return
        passage = self.passages.claim(event_id)
        if passage is None:
            if kept:
                # The answer to a passage forwarded from the outbox (after an outage
                # or a restart): logged centrally, nobody is waiting at the lane.
                self.stats.forwarded_answers += 1
                self._mark_acted(event_id)
                return
            if self.passages.sent_recently(event_id):
                # We gave up on it: the person was told to see the guard already.
                self.stats.late_decisions += 1
                log.warning("gate %s: late decision for %s ignored", self.config.gate, event_id)
                self._mark_acted(event_id)
                return
            age = self.clock.now() - decision.decided_at
            if age > timedelta(seconds=UNSOLICITED_MAX_AGE_S):
                self.stats.ignored_decisions += 1
                return
        self._act(decision, passage)

    def no_answer(self, passage: Passage) -> None:
        """No Decision came in time: the fallback decides, or the guard does."""
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
            extra=passage_fields(event_id=passage.event_id, gate=self.config.gate),
        )

    def outcome_of(self, event_id: uuid.UUID) -> str | None:
        return self._outcomes.get(event_id)

    def override(self, recheck_of: uuid.UUID, override: Override) -> None:
        """The guard opens the gate by hand for the person of ``recheck_of``, now."""
        passage = self.passages.override(recheck_of, override)
        if passage is None:
            return
        self._mark_acted(passage.event_id)  # its answer is for the log: the gate opened now
        log.warning(
            "gate %s: override of %s by %s: %s",
            self.config.gate,
            recheck_of,
            override.by,
            override.reason,
        )
        self._let_through()

    def _act(self, decision: Decision, passage: Passage | None) -> None:
        self._mark_acted(decision.event_id)
        self._outcomes[decision.event_id] = decision.decision
        while len(self._outcomes) > REMEMBERED_OUTCOMES:
            self._outcomes.popitem(last=False)
        self.stats.decisions += 1
        self.stats.outcomes[decision.decision] = self.stats.outcomes.get(decision.decision, 0) + 1
        self.last_decision = decision
        verdict = self.vehicles.decided(decision)
        if verdict == "cleared":
            self._let_through()
        elif verdict == "not_ours" and decision.decision == "admit":
            self.stats.admitted += 1
            self._let_through()
        log.info(
            "gate %s: %s %s (%s)",
            self.config.gate,
            decision.event_id,
            decision.decision.upper(),
            ", ".join(decision.reasons) or "ok",
            extra=passage_fields(event_id=decision.event_id, gate=self.config.gate),
        )
        if self.on_decision is not None:
            self.on_decision(decision, passage)

    def _let_through(self) -> None:
        if not self.barrier.pulse() and self.barrier.locked:
            log.warning("gate %s: locked down, admit not acted on", self.config.gate)

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
