"""One batch of passages: decide, commit once, then say what to publish.

The batch is the unit of group commit.  Inside one transaction the processor
looks up what it needs for the whole batch at once (decisions already stored,
persons, appointments, temporary passes, recent household exits, used one-time
codes, locked gates: one query per kind, never one per passage), decides each
new passage with the pure :func:`kernel.decision.decide`, writes entries,
isolation cases, used codes, household exits, pass uses and rejected messages,
and commits.  Only then does the caller publish
the decisions and acknowledge the messages, so an acknowledged passage is always
on disk and a redelivered one gets the decision that was stored the first time.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from kernel.decision import (
    AppointmentFacts,
    CodeFacts,
    CodeStatus,
    PassFacts,
    PersonFacts,
    decide,
)
from kernel.decision.facts import Facts
from kernel.decision.gather import gather_facts
from kernel.decision.reasons import Reason
from kernel.masking import mask_id_number
from schemas.ids import uuid7
from schemas.messages import Decision, DecisionPerson, FeverAlert, Passage
from schemas.policy import Policy
from schemas.topics import GateChannel, SiteChannel, gate_topic, site_topic
from services.appointments.facts import ApprovedAppointment, approved_appointments
from services.central.intake import Rejection, read_passage
from services.passes.facts import (
    ExitRecord,
    UsablePass,
    add_pass_uses,
    recent_exits,
    record_exits,
    usable_passes,
)
from services.storage import repository as repo
from services.storage.records import CaseRecord, EntryRecord

log = logging.getLogger(__name__)


# (jti, event_id, site, gate, used_at) of a one-time code spent by an admission
UsedCodeRow = tuple[str, uuid.UUID, str, str, datetime]


class CodeVerifier(Protocol):
    def __call__(self, code: str, now: datetime) -> CodeFacts:
        """Verify one code's signature and validity window (not its one-time use)."""
        ...

    def check_signatures(self, codes: Collection[str]) -> None:
        """Check a batch's signatures ahead of the calls (all at once, maybe in parallel)."""
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


@dataclass(slots=True)
class _Writes:
    """What the batch's admissions add besides entries: exits and pass uses."""

    exits: list[ExitRecord] = field(default_factory=list)
    pass_uses: Counter[str] = field(default_factory=Counter)
    exit_events: dict[str, uuid.UUID] = field(default_factory=dict)  # exit event -> event
    pass_events: list[tuple[str, uuid.UUID]] = field(default_factory=list)


class _BatchFacts:
    """A FactSource answering from rows prefetched for the whole batch.

    Pass uses and household exits admitted earlier in the same batch count
    too, so two passages in one batch cannot both take the last use or exit.
    """

    def __init__(  # noqa: PLR0917 - positional like the original four
        self,
        persons: dict[str, PersonFacts],
        by_hash: dict[str, PersonFacts],
        locked: set[str],
        hash_plain_id: Callable[[str], str] | None,
        appointments: dict[str, ApprovedAppointment] | None = None,
        passes: dict[str, UsablePass] | None = None,
        exits: dict[str, list[datetime]] | None = None,
    ) -> None:
        self._persons = persons
        self._by_hash = by_hash
        self._locked = locked
        self._hash = hash_plain_id
        self.appointments = appointments or {}
        self.passes = passes or {}
        self.exits = exits or {}
        self.uses_in_batch: Counter[str] = Counter()

    def person(self, person_id: str) -> PersonFacts | None:
        return self._persons.get(person_id)

    def person_by_plain_id(self, value: str) -> PersonFacts | None:
        found = self._persons.get(value)
        if found is None and self._hash is not None:
            found = self._by_hash.get(self._hash(value))
        return found

    def appointment(self, reference: str) -> AppointmentFacts | None:
        found = self.appointments.get(reference)
        return found.facts if found else None

    def temp_pass(self, reference: str) -> PassFacts | None:
        found = self.passes.get(reference)
        if found is None:
            return None
        used = self.uses_in_batch[reference]
        if found.facts.uses_left is None or not used:
            return found.facts
        return replace(found.facts, uses_left=max(0, found.facts.uses_left - used))

    def exits_since(self, household: str, since: datetime) -> int:
        return sum(1 for at in self.exits.get(household, ()) if at > since)

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
        engine: Engine,
        policy: Policy,
        verify: CodeVerifier,
        hash_plain_id: Callable[[str], str] | None = None,
    ) -> None:
        self.site = site
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

        with self._transaction() as session:
            answers: dict[uuid.UUID, bytes] = {}
            fresh: dict[uuid.UUID, Passage] = {}
            for passage in passages:  # a duplicate inside the batch is decided once
                kept = fresh.setdefault(passage.event_id, passage)
                if kept.local_decision is None and passage.local_decision is not None:
                    # The gate's first try and its outbox's copy, which says what the
                    # gate decided offline, arrived together: the copy is the record.
                    fresh[passage.event_id] = passage
            # No look-up first: nearly every passage is new.  A redelivered one is
            # decided again, loses the insert (unique event_id), and is answered
            # with the decision stored the first time, like a race with a worker.
            records, cases, alerts, codes_to_mark, writes = self._decide_all(
                session, list(fresh.values()), raw_payloads, now
            )
            inserted = repo.insert_entries(session=session, records=records) if records else set()
            for record in records:
                if record.event_id in inserted:
                    answers[record.event_id] = record.decision_json.encode()
                    self._check_agreement(fresh[record.event_id], record.decision)
            logged_before = [r.event_id for r in records if r.event_id not in inserted]
            if logged_before:
                for event_id, text in repo.stored_decisions(
                    session=session, event_ids=logged_before
                ).items():
                    answers[event_id] = text.encode()
                late_local = [
                    (event_id, local)
                    for event_id in logged_before
                    if (local := fresh[event_id].local_decision) is not None
                ]
                if late_local:
                    # The gate decided offline after its first copy was logged: keep both.
                    repo.record_local_decisions(session=session, decided=late_local)
            new_cases = [c for c in cases if c.event_id in inserted]
            if new_cases:
                repo.open_cases(session=session, cases=new_cases)
            record_exits(
                session=session,
                exits=[e for e in writes.exits if uuid.UUID(e.event_id) in inserted],
            )
            add_pass_uses(
                session=session,
                uses=Counter(p for p, event in writes.pass_events if event in inserted),
            )
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
                    reasons=[Reason.MALFORMED.value],
                    policy_version=self.policy.version,
                    decided_at=now,
                )
                topic = gate_topic(rejection.site, rejection.gate, GateChannel.DECISION)
                result.outgoing.append(Outgoing(topic, decision.model_dump_json().encode()))
        result.decided = len(inserted)
        result.duplicates = len(passages) - len(inserted)
        result.rejected = len(rejections)
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
        )

    def _decide_all(
        self,
        session: Session,
        passages: list[Passage],
        raw_payloads: dict[uuid.UUID, str],
        now: datetime,
    ) -> tuple[list[EntryRecord], list[CaseRecord], list[FeverAlert], list[UsedCodeRow], _Writes]:
        verified: dict[tuple[str, datetime], CodeFacts] = {}
        self.verify.check_signatures(
            {c.data for p in passages for c in p.credentials if c.kind == "qr"}
        )
        for passage in passages:
            when = decision_time(passage, now)
            for credential in passage.credentials:
                if credential.kind == "qr" and (credential.data, when) not in verified:
                    verified[credential.data, when] = self.verify(credential.data, when)
        by_type: dict[str, set[str]] = {"person": set(), "visitor": set(), "pass": set()}
        for f in verified.values():
            if f.subject:
                by_type.get(f.typ or "", by_type["person"]).add(f.subject)
        plain = {c.data for p in passages for c in p.credentials if c.kind != "qr"}
        accept_plain = self.policy.accept_plain_ids
        persons, locked = repo.persons_and_locked_gates(
            session=session,
            person_ids=by_type["person"] | (plain if accept_plain else set()),
            site=self.site,
        )
        by_hash: dict[str, PersonFacts] = {}
        if accept_plain and plain and self.hash_plain_id is not None:
            by_hash = repo.persons_by_id_hash(
                session=session, id_hashes={self.hash_plain_id(v) for v in plain}
            )
        jtis = {f.jti for f in verified.values() if f.once and f.jti}
        used = repo.used_jtis(session=session, jtis=jtis) if jtis else set()
        appointments = (
            approved_appointments(
                session=session, site=self.site, appointment_ids=by_type["visitor"]
            )
            if by_type["visitor"]
            else {}
        )
        passes = (
            usable_passes(session=session, site=self.site, pass_ids=by_type["pass"])
            if by_type["pass"]
            else {}
        )
        exits: dict[str, list[datetime]] = {}
        window = self.policy.longest_exit_window_hours()
        leaving = [decision_time(p, now) for p in passages if p.direction == "out"]
        if window and leaving:
            households = {
                p.household for p in [*persons.values(), *by_hash.values()] if p.household
            }
            if households:
                exits = recent_exits(
                    session=session,
                    households=households,
                    since=min(leaving) - timedelta(hours=window),
                )
        source = _BatchFacts(
            persons, by_hash, locked,
            self.hash_plain_id, appointments, passes, exits,
        )  # fmt: skip

        def checker(when: datetime, *, entering: bool) -> Callable[[str], CodeFacts]:
            def check(code: str) -> CodeFacts:
                facts = verified[code, when]
                # A one-time code is spent by entering: its holder may still leave.
                if (
                    entering
                    and facts.status is CodeStatus.VALID
                    and facts.once
                    and facts.jti in used
                ):
                    return replace(facts, status=CodeStatus.USED)
                return facts

            return check

        records: list[EntryRecord] = []
        cases: list[CaseRecord] = []
        alerts: list[FeverAlert] = []
        codes_to_mark: list[UsedCodeRow] = []
        writes = _Writes()
        for passage in passages:
            when = decision_time(passage, now)
            entering = passage.direction == "in"
            facts = gather_facts(
                passage,
                check_code=checker(when, entering=entering),
                source=source,
                now=when,
                accept_plain_ids=accept_plain,
            )
            if not entering:
                facts = self._leaving_facts(passage, facts, source, when)
            decision = self._with_grant_holder(decide(passage, facts, self.policy), facts, source)
            if passage.local_decision is not None:
                decision = decision.model_copy(update={"decided_at": now})
            open_case = facts.person.open_case_id if facts.person else None
            needs_case = Reason.FEVER in decision.reasons or (
                decision.decision == "isolate" and decision.reasons != [Reason.ISOLATION_PENDING]
            )
            if open_case is not None and Reason.ISOLATION_PENDING in decision.reasons:
                # Already under a case: this passage joins it rather than opening another.
                decision = decision.model_copy(update={"case_id": open_case})
            elif needs_case:
                decision, case, alert = self._open_case(passage, decision, facts.person, now)
                cases.append(case)
                alerts.append(alert)
            if decision.decision == "admit":
                if entering:
                    # A one-time code is spent only when it actually let someone in.
                    for code in facts.codes:
                        if code.once and code.jti and code.status is CodeStatus.VALID:
                            used.add(code.jti)
                            codes_to_mark.append(
                                (code.jti, passage.event_id, passage.site, passage.gate, now)
                            )
                self._count_admission(passage, facts, source, writes, now)
            raw = raw_payloads.get(passage.event_id) or passage.model_dump_json()
            records.append(self._record(passage, raw, decision, facts, now))
        return records, cases, alerts, codes_to_mark, writes

    def _leaving_facts(
        self, passage: Passage, facts: Facts, source: _BatchFacts, now: datetime
    ) -> Facts:
        """Leaving: pass use limits count entries only; the household exit quota applies."""
        if facts.temp_pass is not None and facts.temp_pass.uses_left is not None:
            facts = replace(facts, temp_pass=replace(facts.temp_pass, uses_left=None))
        person = facts.person
        quota = self.policy.exit_quota_for(passage.gate)
        if person is not None and person.household and quota is not None:
            since = now - timedelta(hours=quota.window_hours)
            if source.exits_since(person.household, since) >= quota.exits:
                facts = replace(facts, quota_exceeded=True)
        return facts

    @staticmethod
    def _count_admission(
        passage: Passage, facts: Facts, source: _BatchFacts, writes: _Writes, now: datetime
    ) -> None:
        person = facts.person
        if passage.direction == "out":
            if person is not None and person.household:
                at = min(passage.ts, now)
                writes.exits.append(ExitRecord(
                    event_id=str(passage.event_id), site=passage.site, household=person.household,
                    person_id=person.person_id, gate=passage.gate, exited_at=at,
                ))  # fmt: skip
                source.exits.setdefault(person.household, []).append(at)
        elif person is None and facts.appointment is None and facts.temp_pass is not None:
            pass_id = facts.temp_pass.pass_id
            source.uses_in_batch[pass_id] += 1
            writes.pass_events.append((pass_id, passage.event_id))

    @staticmethod
    def _with_grant_holder(decision: Decision, facts: Facts, source: _BatchFacts) -> Decision:
        """Visitors and pass holders are shown by name at the lane, like roster people."""
        if decision.person is not None or facts.person is not None:
            return decision
        shown: DecisionPerson | None = None
        if facts.appointment is not None:
            found = source.appointments[facts.appointment.appointment_id]
            shown = DecisionPerson(
                id=found.facts.appointment_id,
                name=found.facts.visitor_name,
                kind="visitor",
                masked_id=mask_id_number(found.id_last4),
            )
        elif facts.temp_pass is not None:
            held = source.passes[facts.temp_pass.pass_id]
            shown = DecisionPerson(
                id=held.facts.pass_id,
                name=held.holder_name,
                kind="pass",
                masked_id=mask_id_number(held.id_last4),
            )
        return decision if shown is None else decision.model_copy(update={"person": shown})

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
        passage: Passage, raw: str, decision: Decision, facts: Facts, now: datetime
    ) -> EntryRecord:
        person = facts.person
        grant_id: str | None = None
        kind = person.kind if person else None
        if facts.appointment is not None:
            grant_id = facts.appointment.appointment_id
            kind = kind or "visitor"
        elif facts.temp_pass is not None:
            grant_id = facts.temp_pass.pass_id
            kind = kind or "pass"
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
            sensor=passage.temperature.sensor if passage.temperature else None,
            kind=kind,
            grant_id=grant_id,
        )
