"""Offline decisions: the same ``decide()`` over the gate's snapshot (DESIGN section 6).

Used as the agent's :class:`~gateway.agent.agent.Fallback` when no Decision came
in time.  The rules are the central ones, word for word; only the facts come
from the snapshot (people, open cases, spent one-time codes, public keys, the
policy) and from the gate itself (lockdown, codes it admitted while offline).
The fever rule does not depend on the snapshot at all, so it never changes
offline.  A snapshot older than ``max_offline_age`` (counted from the last time
the central side was heard) no longer admits anyone: ``deny snapshot_stale``.
What follows a decision is the central's :func:`~kernel.decision.aftermath.aftermath`
too: the gate keeps the one-time codes it spent; cases, exits and pass uses are
counted centrally when the passage is forwarded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from gateway.snapshot.store import SnapshotStore
from kernel.clock import Clock
from kernel.codes.keys import KeyRing
from kernel.codes.verify import Verifier, verify_facts
from kernel.decision import AppointmentFacts, PassFacts, PersonFacts, decide, worse
from kernel.decision.aftermath import aftermath, once_used
from kernel.decision.gather import gather_facts
from kernel.decision.reasons import REASONS, Reason
from kernel.plain_ids import PlainIdHash
from schemas.messages import Decision, Passage
from schemas.policy import Policy
from schemas.snapshot import ID_HASH_HEX, GateSnapshot, SnapshotPerson

DEFAULT_MAX_OFFLINE_AGE = timedelta(hours=12)
STALE_REASON = Reason.SNAPSHOT_STALE


def person_facts(person: SnapshotPerson) -> PersonFacts:
    return PersonFacts(
        person_id=person.id,
        name=person.name,
        kind=person.kind,
        masked_id=person.masked_id,
        active=person.active,
        valid_from=person.valid_from,
        valid_until=person.valid_until,
        gates=None if person.gates is None else frozenset(person.gates),
        return_approved=person.return_approved,
        household=person.household,
        open_case_id=person.open_case_id,
        suspended=person.suspended,
    )


class SnapshotFacts:
    """A :class:`~kernel.decision.gather.FactSource` answering from a snapshot.

    A plain identifier is looked up as the central does: a person id, a campus card
    number, then (when the gate holds the site's ID hash key) the keyed hash of an
    ID-document number, matched against the hashes the snapshot carries.
    """

    def __init__(
        self, snapshot: GateSnapshot | None, locked: bool, hash_plain_id: PlainIdHash | None = None
    ) -> None:
        persons = snapshot.persons if snapshot is not None else []
        self._persons = {p.id: person_facts(p) for p in persons}
        self._by_card = {p.card_no: self._persons[p.id] for p in persons if p.card_no}
        self._by_hash = {p.id_hash: self._persons[p.id] for p in persons if p.id_hash}
        self._hash = hash_plain_id
        self._locked = locked or (snapshot is not None and snapshot.locked)
        self._plates = snapshot.plates if snapshot is not None else []

    def person(self, person_id: str) -> PersonFacts | None:
        return self._persons.get(person_id)

    def person_by_plain_id(self, value: str) -> PersonFacts | None:
        found = self._persons.get(value) or self._by_card.get(value)
        if found is None and self._hash is not None and self._by_hash:
            found = self._by_hash.get(self._hash(value)[:ID_HASH_HEX])
        return found

    def appointment(self, reference: str) -> AppointmentFacts | None:
        return None  # not in the snapshot: visitors wait for the central side

    def temp_pass(self, reference: str) -> PassFacts | None:
        return None

    def gate_locked(self, site: str, gate: str) -> bool:
        return self._locked

    def plate_allowed(self, plate: str, now: datetime) -> bool:
        return any(
            p.plate == plate
            and (p.valid_from is None or p.valid_from <= now)
            and (p.valid_until is None or now <= p.valid_until)
            for p in self._plates
        )


def snapshot_verifier(snapshot: GateSnapshot | None) -> Verifier:
    """Codes checked offline with the snapshot's key set (retirements included) and site."""
    if snapshot is None:
        return Verifier(KeyRing({}))
    keys = KeyRing.from_public_keys(
        snapshot.keys, retires=snapshot.key_retires, version=snapshot.keys_version
    )
    return Verifier(keys, site=snapshot.site)


class LocalDecider:
    def __init__(
        self,
        store: SnapshotStore,
        *,
        clock: Clock,
        locked: Callable[[], bool],
        last_contact: Callable[[], datetime | None],
        max_offline_age: timedelta = DEFAULT_MAX_OFFLINE_AGE,
        hash_plain_id: PlainIdHash | None = None,
    ) -> None:
        self.store = store
        self.hash_plain_id = hash_plain_id
        self.clock = clock
        self.locked = locked
        self.last_contact = last_contact
        self.max_offline_age = max_offline_age
        self.spent: set[str] = set()  # one-time codes this gate admitted offline
        self._facts_for: tuple[str, SnapshotFacts, Verifier] | None = None

    def stale(self, now: datetime) -> bool:
        held = self.store.current
        if held is None:
            return True
        fresh_at = held.snapshot.built_at
        contact = self.last_contact()
        if contact is not None and contact > fresh_at:
            fresh_at = contact
        return now - fresh_at > self.max_offline_age

    def decide(self, passage: Passage) -> Decision:
        now = self.clock.now()
        held = self.store.current
        snapshot = held.snapshot if held is not None else None
        policy = snapshot.policy if snapshot is not None else Policy(site=passage.site)
        source, verifier = self._source(held.checksum if held else "", snapshot)
        used = set(snapshot.used_codes if snapshot else ()) | self.spent
        entering = passage.direction == "in"
        facts = gather_facts(
            passage,
            check_code=lambda code: once_used(
                verify_facts(verifier, code, now), entering=entering, used=used.__contains__
            ),
            source=source,
            now=now,
            accept_plain_ids=policy.accept_plain_ids,
        )
        if self.locked():
            facts = replace(facts, gate_locked=True)
        decision = decide(passage, facts, policy)
        if self.stale(now):
            decision = decision.model_copy(
                update={
                    "decision": worse(decision.decision, REASONS[STALE_REASON].outcome),
                    "reasons": [*decision.reasons, STALE_REASON.value],
                }
            )
        after = aftermath(passage, decision, facts, now=now)
        self.spent.update(after.spent_codes)
        return after.decision

    def _source(
        self, checksum: str, snapshot: GateSnapshot | None
    ) -> tuple[SnapshotFacts, Verifier]:
        cached = self._facts_for
        if cached is None or cached[0] != checksum:
            facts = SnapshotFacts(snapshot, False, self.hash_plain_id)
            cached = (checksum, facts, snapshot_verifier(snapshot))
            self._facts_for = cached
        return cached[1], cached[2]
