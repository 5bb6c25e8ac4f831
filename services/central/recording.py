"""Writing a decided batch: its entries, and for the new ones what their aftermath brings.

Entries go first (``ON CONFLICT DO NOTHING ... RETURNING``): only the passages
whose entry is new here open their case, spend their one-time codes, count
their exit or pass use.  A passage logged before (a redelivery, or another
worker's race) is answered with the decision stored the first time.  One-time
codes are the one write that can lose a race another worker won in between:
then the batch is run again (:class:`RetryBatchError`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from kernel.plain_ids import normalise_plain_id
from schemas.ids import uuid7
from schemas.messages import Decision, FeverAlert, Passage
from services.central.deciding import Decided
from services.storage import repository as repo
from services.storage.audit_log import log_action
from services.storage.records import CaseRecord, EntryRecord, ExitRecord


class RetryBatchError(Exception):
    """Another worker committed a conflicting row first; run the batch again."""


@dataclass(slots=True)
class Recorded:
    """What the batch wrote: the answer to every passage, and the alerts of new cases."""

    answers: dict[uuid.UUID, bytes] = field(default_factory=dict)
    new: list[tuple[Passage, Decision]] = field(default_factory=list)  # entries logged now
    alerts: list[FeverAlert] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Settled:
    """A decided passage with its case given an id: the entry to write and what it opens."""

    decided: Decided
    record: EntryRecord
    case: CaseRecord | None
    alert: FeverAlert | None


def new_case_id(now: datetime) -> str:
    return f"C-{uuid7(int(now.timestamp() * 1000)).hex[:20]}"


def record_batch(
    session: Session,
    decided: Sequence[Decided],
    raw_payloads: dict[uuid.UUID, str],
    *,
    threshold: Decimal,
    now: datetime,
) -> Recorded:
    """Write the batch's entries, then the aftermath of those that are new."""
    settled = [_settle(d, raw_payloads, threshold, now) for d in decided]
    records = [s.record for s in settled]
    inserted = repo.insert_entries(session=session, records=records) if records else set()
    done = Recorded()
    for s in settled:
        if s.record.event_id in inserted:
            done.answers[s.record.event_id] = s.record.decision_json.encode()
            done.new.append((s.decided.passage, s.decided.after.decision))
    _answer_logged_before(session, [s for s in settled if s.record.event_id not in inserted], done)
    new = [s for s in settled if s.record.event_id in inserted]
    repo.open_cases(session=session, cases=[s.case for s in new if s.case is not None])
    repo.record_overrides(
        session=session, rows=[r for s in new if (r := _override(s.decided, now))]
    )
    for s in new:
        _log_entered(session, s.decided.passage, now)
    done.alerts = [s.alert for s in new if s.alert is not None]
    repo.record_exits(session=session, exits=[out for s in new if (out := _exit(s.decided))])
    repo.add_pass_uses(
        session=session,
        uses=Counter(s.decided.after.pass_use for s in new if s.decided.after.pass_use),
    )
    spent = [
        (jti, s.decided.passage.event_id, s.decided.passage.site, s.decided.passage.gate, now)
        for s in new
        for jti in s.decided.after.spent_codes
    ]
    if spent and len(repo.mark_codes_used(session=session, rows=spent)) != len(spent):
        raise RetryBatchError
    return done


def _answer_logged_before(session: Session, before: list[_Settled], done: Recorded) -> None:
    if not before:
        return
    stored = repo.stored_decisions(session=session, event_ids=[s.record.event_id for s in before])
    done.answers.update((event_id, text.encode()) for event_id, text in stored.items())
    late_local = [
        (s.record.event_id, local)
        for s in before
        if (local := s.decided.passage.local_decision) is not None
    ]
    if late_local:
        # The gate decided offline after its first copy was logged: keep both.
        repo.record_local_decisions(session=session, decided=late_local)


def _settle(
    decided: Decided, raw_payloads: dict[uuid.UUID, str], threshold: Decimal, now: datetime
) -> _Settled:
    """Give a new case its id (the answer names it), and build the entry to write."""
    passage, after = decided.passage, decided.after
    decision, case, alert = after.decision, None, None
    if after.opens_case is not None:
        case_id = new_case_id(now)
        decision = decision.model_copy(update={"case_id": case_id})
        case = CaseRecord(
            case_id=case_id, event_id=passage.event_id, site=passage.site, gate=passage.gate,
            person_id=after.opens_case.person_id, celsius=after.opens_case.celsius, opened_at=now,
        )  # fmt: skip
        alert = FeverAlert(
            alert_id=uuid.uuid4(), case_id=case_id, event_id=passage.event_id,
            site=passage.site, gate=passage.gate, person=decision.person,
            celsius=after.opens_case.celsius, threshold=threshold, reasons=decision.reasons,
            decision=decision.decision, ts=now,
        )  # fmt: skip
    raw = raw_payloads.get(passage.event_id) or passage.model_dump_json()
    return _Settled(decided, entry_record(decided, decision, raw, now), case, alert)


def _override(decided: Decided, now: datetime) -> dict[str, object] | None:
    """A guard's override at the gate's kiosk, for the command log (as the central's)."""
    passage = decided.passage
    if passage.override is None or passage.recheck_of is None:
        return None
    return {
        "command_id": str(passage.event_id),
        "site": passage.site,
        "gate": passage.gate,
        "command": "open",
        "issued_by": passage.override.by,
        "reason": passage.override.reason,
        "override_of": str(passage.recheck_of),
        "at": now,
    }


def _log_entered(session: Session, passage: Passage, now: datetime) -> None:
    """A passage a guard entered at the gate's own kiosk after a look-up (issue 20): in
    the audit log under their name, as the central kiosk logs its manual passages."""
    if passage.entered_by is None:
        return
    manual = [c.data for c in passage.credentials if c.kind == "manual"]
    celsius = passage.temperature.celsius if passage.temperature is not None else None
    log_action(session, at=now, actor=passage.entered_by, role="guard",
               action="gate.manual_passage", target=f"{passage.gate}/{passage.event_id}",
               params={"person_id": manual[0] if manual else "", "celsius": str(celsius),
                       "via": "gate_kiosk", "ts": passage.ts.isoformat()})  # fmt: skip


def _exit(decided: Decided) -> ExitRecord | None:
    leaving, passage = decided.after.household_exit, decided.passage
    if leaving is None:
        return None
    return ExitRecord(
        event_id=str(passage.event_id), site=passage.site, household=leaving.household,
        person_id=leaving.person_id, gate=passage.gate, exited_at=leaving.at,
    )  # fmt: skip


def kept_passage(passage: Passage, raw: str, person_id: str | None) -> str:
    """The passage as the entry log keeps it: a typed or read number other than the person's
    own id (an ID-card, passport or campus card number) keeps only its last four characters,
    as the roster does."""
    plain = [c for c in passage.credentials if c.kind != "qr" and c.data != person_id]
    if not plain:
        return raw
    credentials = [
        c if c.kind == "qr" or c.data == person_id
        else c.model_copy(update={"data": mask_id_number(normalise_plain_id(c.data)[-4:])})
        for c in passage.credentials
    ]  # fmt: skip
    return passage.model_copy(update={"credentials": credentials}).model_dump_json()


def entry_record(decided: Decided, decision: Decision, raw: str, now: datetime) -> EntryRecord:
    """The entry log's row: the passage as sent, the decision as answered, who it was."""
    passage, facts = decided.passage, decided.facts
    person = facts.person
    grant_id: str | None = None
    kind = person.kind if person else None
    if facts.appointment is not None:
        grant_id = facts.appointment.appointment_id
        kind = kind or "visitor"
    elif facts.temp_pass is not None:
        grant_id = facts.temp_pass.pass_id
        kind = kind or "pass"
    temperature = passage.temperature
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
        celsius=temperature.celsius if temperature else None,
        policy_version=decision.policy_version,
        local_decision=passage.local_decision,
        recheck_of=passage.recheck_of,
        case_id=decision.case_id,
        passage_json=kept_passage(passage, raw, person.person_id if person else None),
        decision_json=decision.model_dump_json(),
        sensor=temperature.sensor if temperature else None,
        kind=kind,
        grant_id=grant_id,
        seq_stream=passage.seq.stream if passage.seq else None,
        seq_n=passage.seq.n if passage.seq else None,
    )
