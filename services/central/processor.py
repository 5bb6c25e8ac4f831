"""One batch of passages, as a story: read, load facts, decide, aftermath, record, answer.

The batch is the unit of group commit.  Inside one transaction the processor
reads the messages (:mod:`~services.central.intake`), loads what the whole batch
needs at once and decides each new passage with the pure kernel
(:mod:`~services.central.deciding`: ``decide`` and its ``aftermath``), writes
entries, isolation cases, used codes, household exits, pass uses and rejected
messages (:mod:`~services.central.recording`) and commits.  Only then does the
caller publish the answers and acknowledge the messages, so an acknowledged
passage is always on disk and a redelivered one gets the decision that was
stored the first time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from kernel.decision.reasons import Reason
from kernel.logjson import passage_fields
from schemas.messages import Decision, Passage
from schemas.policy import Policy
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.central.deciding import CodeVerifier, decide_batch, decision_time
from services.central.intake import Rejection, read_passage
from services.central.recording import Recorded, RetryBatchError, new_case_id, record_batch
from services.central.reject_budget import RejectBudget
from services.storage import repository as repo

log = logging.getLogger(__name__)

__all__ = [
    "BatchProcessor",
    "BatchResult",
    "CodeVerifier",
    "Incoming",
    "Outgoing",
    "RetryBatchError",
    "decision_time",
    "new_case_id",
]


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass(slots=True)
class BatchResult:
    outgoing: list[Outgoing] = field(default_factory=list)
    decided: int = 0
    duplicates: int = 0
    rejected: int = 0
    cases_opened: int = 0
    # Passages logged now, by outcome; messages in the batch and the seconds it took
    # (set by the worker: taken off the socket -> decisions published), for the metrics.
    outcomes: dict[str, int] = field(default_factory=dict)
    received: int = 0
    seconds: float = 0.0
    # (gate, stream, n) of the batch's numbered passages, for the gap check (central/gaps.py)
    numbered: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(slots=True)
class _Read:
    """The batch's messages read: its passages in order, the first copy of each, the rest."""

    passages: list[Passage] = field(default_factory=list)
    fresh: dict[uuid.UUID, Passage] = field(default_factory=dict)
    raw: dict[uuid.UUID, str] = field(default_factory=dict)
    rejections: list[tuple[Incoming, Rejection]] = field(default_factory=list)


def read_batch(messages: Sequence[Incoming], site: str) -> _Read:
    """Passages and rejections; a passage twice in the batch is decided once."""
    read = _Read()
    for message in messages:
        passage = read_passage(message.topic, message.payload, site=site)
        if isinstance(passage, Rejection):
            read.rejections.append((message, passage))
            continue
        read.passages.append(passage)
        # The entry keeps the payload exactly as the gate sent it (it validated).
        read.raw[passage.event_id] = message.payload.decode("utf-8", "replace")
        kept = read.fresh.setdefault(passage.event_id, passage)
        if kept.local_decision is None and passage.local_decision is not None:
            # The gate's first try and its outbox's copy, which says what the
            # gate decided offline, arrived together: the copy is the record.
            read.fresh[passage.event_id] = passage
    return read


class BatchProcessor:
    """Decides and durably logs batches of raw passage messages for one site."""

    def __init__(
        self,
        *,
        site: str,
        engine: Engine,
        policy: Policy,
        verify: CodeVerifier,
        hash_plain_id: Callable[[str], str] | None = None,
        reject_budget: RejectBudget | None = None,
    ) -> None:
        self.site = site
        self.reject_budget = reject_budget or RejectBudget()
        self.engine = engine
        self._connection: Connection | None = None
        self.policy = policy
        self.verify = verify
        self.hash_plain_id = hash_plain_id
        self.disagreements = 0

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One transaction on the processor's own connection, kept from batch to batch.

        Checking a connection out of the pool and back for every batch cost about
        as much as a one-passage batch's statements.  A connection that died is
        dropped (SQLAlchemy marks it invalidated) and the next batch opens another.
        """
        connection = self._connection
        if connection is None or connection.invalidated or connection.closed:
            if connection is not None:
                connection.close()
            connection = self._connection = self.engine.connect()
        with connection.begin(), Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.flush()

    def close(self) -> None:
        """Give the connection back (the worker stops)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def process(self, messages: Sequence[Incoming], now: datetime) -> BatchResult:
        """Decide and commit a batch; retried once if another worker raced us."""
        try:
            return self._process_once(messages, now)
        except RetryBatchError:
            log.info("batch of %d raced another worker; running it again", len(messages))
            return self._process_once(messages, now)

    def _process_once(self, messages: Sequence[Incoming], now: datetime) -> BatchResult:
        read = read_batch(messages, self.site)
        with self._transaction() as session:
            # No look-up first: nearly every passage is new.  A redelivered one is
            # decided again, loses the insert (unique event_id), and is answered
            # with the decision stored the first time, like a race with a worker.
            decided = decide_batch(
                session, list(read.fresh.values()), site=self.site, policy=self.policy,
                verify=self.verify, hash_plain_id=self.hash_plain_id, now=now,
            )  # fmt: skip
            recorded = record_batch(
                session, decided, read.raw, threshold=self.policy.threshold, now=now
            )
            for message, rejection in read.rejections:
                if not self.reject_budget.keep(message.topic, len(message.payload)):
                    continue  # over this gate's budget: answered and counted, not stored
                repo.record_rejected(session=session, topic=message.topic,
                                     payload=message.payload, reason=rejection.reason,
                                     received_at=now)  # fmt: skip
        # Committed: now it is safe to tell the gates and the clinic.
        for passage, decision in recorded.new:
            self._check_agreement(passage, decision.decision)
        return self._answer(read, recorded, now)

    def _answer(self, read: _Read, recorded: Recorded, now: datetime) -> BatchResult:
        """Every passage's decision, every new case's alert, ``malformed`` for the unreadable."""
        result = BatchResult()
        for passage in read.passages:
            topic = gate_topic(passage.site, passage.gate, GateChannel.DECISION)
            result.outgoing.append(Outgoing(topic, recorded.answers[passage.event_id]))
        for alert in recorded.alerts:
            topic = site_topic(alert.site, SiteChannel.FEVER_ALERT)
            result.outgoing.append(Outgoing(topic, alert.model_dump_json().encode()))
        for _message, rejection in read.rejections:
            if rejection.event_id is not None and rejection.gate and rejection.site:
                decision = Decision(
                    event_id=rejection.event_id,
                    gate=rejection.gate,
                    decision="deny",
                    reasons=[Reason.MALFORMED.value],
                    policy_version=self.policy.version,
                    decided_at=now,
                )
                topic = gate_topic(rejection.site, rejection.gate, GateChannel.DECISION)
                result.outgoing.append(Outgoing(topic, decision.model_dump_json().encode()))
        result.cases_opened = len(recorded.alerts)
        result.decided = len(recorded.new)
        for _passage, decision in recorded.new:
            result.outcomes[decision.decision] = result.outcomes.get(decision.decision, 0) + 1
        result.duplicates = len(read.passages) - len(recorded.new)
        result.rejected = len(read.rejections)
        result.numbered = [
            (p.gate, p.seq.stream, p.seq.n) for p in read.passages if p.seq is not None
        ]
        return result

    def _check_agreement(self, passage: Passage, decision: str) -> None:
        if passage.local_decision is None or passage.local_decision == decision:
            return
        # The gate decided offline on its snapshot and the central facts say
        # otherwise (e.g. revoked meanwhile): logged for the audit.
        self.disagreements += 1
        log.warning(
            "gate %s decided %s offline for %s; central decides %s",
            passage.gate,
            passage.local_decision,
            passage.event_id,
            decision,
            extra=passage_fields(event_id=passage.event_id, gate=passage.gate, site=passage.site),
        )
