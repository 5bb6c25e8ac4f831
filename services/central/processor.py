"""One batch of passages: decide, commit once, then say what to publish.

The batch is the unit of group commit.  Inside one transaction the processor
looks up what it needs for the whole batch at once (decisions already stored,
persons, used one-time codes, locked gates), decides each new passage with the
pure :func:`services.decision.decide`, writes entries, isolation cases, used
codes and rejected messages, and commits.  Only then does the caller publish
the decisions and acknowledge the messages, so an acknowledged passage is always
on disk and a redelivered one gets the decision that was stored the first time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from schemas.ids import uuid7
from schemas.messages import Decision, FeverAlert, Passage
from schemas.policy import Policy
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.central.intake import Rejection, read_passage
from services.decision import (
    AppointmentFacts,
    CodeFacts,
    CodeStatus,
    PassFacts,
    PersonFacts,
    decide,
)
from services.decision.gather import gather_facts
from services.storage import repository as repo
from services.storage.records import CaseRecord, EntryRecord

log = logging.getLogger(__name__)


# (jti, event_id, site, gate, used_at) of a one-time code spent by an admission
UsedCodeRow = tuple[str, uuid.UUID, str, str, datetime]


class CodeVerifier(Protocol):
    def __call__(self, code: str, now: datetime) -> CodeFacts:
        """Verify one code's signature and validity window (not its one-time use)."""
        ...


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


class RetryBatchError(Exception):
    """Another worker committed a conflicting row first; run the batch again."""


class _BatchFacts:
    """A FactSource answering from rows prefetched for the whole batch."""

    def __init__(
        self,
        persons: dict[str, PersonFacts],
        by_hash: dict[str, PersonFacts],
        locked: set[str],
        hash_plain_id: Callable[[str], str] | None,
    ) -> None:
        self._persons = persons
        self._by_hash = by_hash
        self._locked = locked
        self._hash = hash_plain_id

    def person(self, person_id: str) -> PersonFacts | None:
        return self._persons.get(person_id)

    def person_by_plain_id(self, value: str) -> PersonFacts | None:
        found = self._persons.get(value)
        if found is None and self._hash is not None:
            found = self._by_hash.get(self._hash(value))
        return found

    def appointment(self, reference: str) -> AppointmentFacts | None:
        return None  # appointments arrive with the administration issue

    def temp_pass(self, reference: str) -> PassFacts | None:
        return None  # temporary passes arrive with the administration issue

    def gate_locked(self, site: str, gate: str) -> bool:
        return gate in self._locked


MAX_FORWARD_AGE = timedelta(days=30)


def decision_time(passage: Passage, now: datetime) -> datetime:
    """When to judge a passage: now, or for one decided offline, when it happened.

    A passage forwarded from a gate's outbox is judged by the facts of its own
    time (a code valid then counts even if it expired during the outage); the
    gate's clock is trusted only within [now - MAX_FORWARD_AGE, now].
    """
    if passage.local_decision is None:
        return now
    return min(max(passage.ts, now - MAX_FORWARD_AGE), now)


def new_case_id(now: datetime) -> str:
    return f"C-{uuid7(int(now.timestamp() * 1000)).hex[:20]}"


class BatchProcessor:
    """Decides and durably logs batches of raw passage messages for one site."""

    def __init__(
        self,
        *,
        site: str,
        sessions: sessionmaker[Session],
        policy: Policy,
        verify: CodeVerifier,
        hash_plain_id: Callable[[str], str] | None = None,
    ) -> None:
        self.site = site
        self.sessions = sessions
        self.policy = policy
        self.verify = verify
        self.hash_plain_id = hash_plain_id
        self.disagreements = 0

    def process(self, messages: Sequence[Incoming], now: datetime) -> BatchResult:
        """Decide and commit a batch; retried once if another worker raced us."""
        try:
            return self._process_once(messages, now)
        except RetryBatchError:
            log.info("batch of %d raced another worker; running it again", len(messages))
            return self._process_once(messages, now)

    def _process_once(self, messages: Sequence[Incoming], now: datetime) -> BatchResult:
        result = BatchResult()
        raw_payloads: dict[uuid.UUID, str] = {}
        passages: list[Passage] = []
        rejections: list[tuple[Incoming, Rejection]] = []
        for message in messages:
            read = read_passage(message.topic, message.payload, site=self.site)
            if isinstance(read, Rejection):
                rejections.append((message, read))
            else:
                passages.append(read)
                # The entry keeps the payload exactly as the gate sent it (it validated).
                raw_payloads[read.event_id] = message.payload.decode("utf-8", "replace")

        with self.sessions.begin() as session:
            stored = repo.stored_decisions(
                session=session, event_ids=[p.event_id for p in passages]
            )
            answers: dict[uuid.UUID, bytes] = {k: v.encode() for k, v in stored.items()}
            late_local = [
                (p.event_id, p.local_decision)
                for p in passages
                if p.event_id in stored and p.local_decision is not None
            ]
            if late_local:
                # The gate decided offline after its first copy was logged: keep both.
                repo.record_local_decisions(session=session, decided=late_local)
            fresh: dict[uuid.UUID, Passage] = {}
            for passage in passages:  # a duplicate inside the batch is decided once
                if passage.event_id not in answers and passage.event_id not in fresh:
                    fresh[passage.event_id] = passage

            records, cases, alerts, codes_to_mark = self._decide_all(
                session, list(fresh.values()), raw_payloads, now
            )
            inserted = repo.insert_entries(session=session, records=records) if records else set()
            for record in records:
                if record.event_id in inserted:
                    answers[record.event_id] = record.decision_json.encode()
            raced = [r.event_id for r in records if r.event_id not in inserted]
            if raced:
                # Another worker logged these first: its decision is the answer.
                for event_id, text in repo.stored_decisions(
                    session=session, event_ids=raced
                ).items():
                    answers[event_id] = text.encode()
            new_cases = [c for c in cases if c.event_id in inserted]
            if new_cases:
                repo.open_cases(session=session, cases=new_cases)
            wanted = [row for row in codes_to_mark if row[1] in inserted]
            if wanted and len(repo.mark_codes_used(session=session, rows=wanted)) != len(wanted):
                raise RetryBatchError
            for message, rejection in rejections:
                repo.record_rejected(
                    session=session,
                    topic=message.topic,
                    payload=message.payload,
                    reason=rejection.reason,
                    received_at=now,
                )
        # Committed: now it is safe to tell the gates and the clinic.
        for passage in passages:
            topic = gate_topic(passage.site, passage.gate, GateChannel.DECISION)
            result.outgoing.append(Outgoing(topic, answers[passage.event_id]))
        for alert in alerts:
            if alert.event_id in inserted:
                topic = site_topic(alert.site, SiteChannel.FEVER_ALERT)
                result.outgoing.append(Outgoing(topic, alert.model_dump_json().encode()))
                result.cases_opened += 1
        for _message, rejection in rejections:
            if rejection.event_id is not None and rejection.gate and rejection.site:
                decision = Decision(
                    event_id=rejection.event_id,
                    gate=rejection.gate,
                    decision="deny",
                    reasons=["malformed"],
                    policy_version=self.policy.version,
                    decided_at=now,
                )
                topic = gate_topic(rejection.site, rejection.gate, GateChannel.DECISION)
                result.outgoing.append(Outgoing(topic, decision.model_dump_json().encode()))
        result.decided = len(inserted)
        result.duplicates = len(passages) - len(inserted)
        result.rejected = len(rejections)
        return result

    def _decide_all(
        self,
        session: Session,
        passages: list[Passage],
        raw_payloads: dict[uuid.UUID, str],
        now: datetime,
    ) -> tuple[list[EntryRecord], list[CaseRecord], list[FeverAlert], list[UsedCodeRow]]:
        verified: dict[tuple[str, datetime], CodeFacts] = {}
        for passage in passages:
            when = decision_time(passage, now)
            for credential in passage.credentials:
                if credential.kind == "qr" and (credential.data, when) not in verified:
                    verified[credential.data, when] = self.verify(credential.data, when)
        subjects = {f.subject for f in verified.values() if f.subject}
        plain = {c.data for p in passages for c in p.credentials if c.kind != "qr"}
        accept_plain = self.policy.accept_plain_ids
        persons = repo.persons_by_id(
            session=session, person_ids=subjects | (plain if accept_plain else set())
        )
        by_hash: dict[str, PersonFacts] = {}
        if accept_plain and plain and self.hash_plain_id is not None:
            by_hash = repo.persons_by_id_hash(
                session=session, id_hashes={self.hash_plain_id(v) for v in plain}
            )
        jtis = {f.jti for f in verified.values() if f.once and f.jti}
        used = repo.used_jtis(session=session, jtis=jtis) if jtis else set()
        source = _BatchFacts(
            persons, by_hash, repo.locked_gates(session=session, site=self.site), self.hash_plain_id
        )

        def checker(when: datetime) -> Callable[[str], CodeFacts]:
            def check(code: str) -> CodeFacts:
                facts = verified[code, when]
                if facts.status is CodeStatus.VALID and facts.once and facts.jti in used:
                    return replace(facts, status=CodeStatus.USED)
                return facts

            return check

        records: list[EntryRecord] = []
        cases: list[CaseRecord] = []
        alerts: list[FeverAlert] = []
        codes_to_mark: list[UsedCodeRow] = []
        for passage in passages:
            when = decision_time(passage, now)
            facts = gather_facts(
                passage,
                check_code=checker(when),
                source=source,
                now=when,
                accept_plain_ids=accept_plain,
            )
            decision = decide(passage, facts, self.policy)
            if passage.local_decision is not None:
                decision = decision.model_copy(update={"decided_at": now})
                if passage.local_decision != decision.decision:
                    # The gate decided offline on its snapshot and the central facts
                    # say otherwise (e.g. revoked meanwhile): logged for the audit.
                    log.warning(
                        "gate %s decided %s offline for %s; central decides %s (%s)",
                        passage.gate,
                        passage.local_decision,
                        passage.event_id,
                        decision.decision,
                        ", ".join(decision.reasons) or "ok",
                    )
                    self.disagreements += 1
            open_case = facts.person.open_case_id if facts.person else None
            needs_case = "fever" in decision.reasons or (
                decision.decision == "isolate" and decision.reasons != ["isolation_pending"]
            )
            if open_case is not None and "isolation_pending" in decision.reasons:
                # Already under a case: this passage joins it rather than opening another.
                decision = decision.model_copy(update={"case_id": open_case})
            elif needs_case:
                decision, case, alert = self._open_case(passage, decision, facts.person, now)
                cases.append(case)
                alerts.append(alert)
            if decision.decision == "admit":
                # A one-time code is spent only when it actually let someone in.
                for code in facts.codes:
                    if code.once and code.jti and code.status is CodeStatus.VALID:
                        used.add(code.jti)
                        codes_to_mark.append(
                            (code.jti, passage.event_id, passage.site, passage.gate, now)
                        )
            raw = raw_payloads.get(passage.event_id) or passage.model_dump_json()
            records.append(self._record(passage, raw, decision, facts.person, now))
        return records, cases, alerts, codes_to_mark

    def _open_case(
        self, passage: Passage, decision: Decision, person: PersonFacts | None, now: datetime
    ) -> tuple[Decision, CaseRecord, FeverAlert]:
        """Isolation (or a soft-screening fever) opens a case and alerts the clinic."""
        case_id = new_case_id(now)
        decision = decision.model_copy(update={"case_id": case_id})
        celsius = passage.temperature.celsius if passage.temperature else None
        case = CaseRecord(
            case_id=case_id,
            event_id=passage.event_id,
            site=passage.site,
            gate=passage.gate,
            person_id=person.person_id if person else None,
            celsius=celsius,
            opened_at=now,
        )
        alert = FeverAlert(
            alert_id=uuid.uuid4(),
            case_id=case_id,
            event_id=passage.event_id,
            site=passage.site,
            gate=passage.gate,
            person=decision.person,
            celsius=celsius,
            threshold=self.policy.threshold,
            reasons=decision.reasons,
            decision=decision.decision,
            ts=now,
        )
        return decision, case, alert

    @staticmethod
    def _record(
        passage: Passage, raw: str, decision: Decision, person: PersonFacts | None, now: datetime
    ) -> EntryRecord:
        return EntryRecord(
            event_id=passage.event_id,
            site=passage.site,
            gate=passage.gate,
            direction=passage.direction,
            ts=passage.ts,
            received_at=now,
            decided_at=decision.decided_at,
            person_id=person.person_id if person else None,
            decision=decision.decision,
            reasons=tuple(decision.reasons),
            celsius=passage.temperature.celsius if passage.temperature else None,
            policy_version=decision.policy_version,
            local_decision=passage.local_decision,
            recheck_of=passage.recheck_of,
            case_id=decision.case_id,
            passage_json=raw,
            decision_json=decision.model_dump_json(),
        )
