"""Gathering the facts of one passage from a :class:`FactSource`.

The central service backs the source with its database (prefetched per batch),
a gate with its whitelist snapshot; both use this one function so they see a
passage the same way.  Code verification is handed in as ``check_code``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from kernel.decision.facts import (
    AppointmentFacts,
    CodeFacts,
    CodeStatus,
    Facts,
    PassFacts,
    PersonFacts,
)
from kernel.plates import plate_or_none
from schemas.messages import Passage
from schemas.policy import Policy

CodeChecker = Callable[[str], CodeFacts]


class FactSource(Protocol):
    """Look-ups a decision needs; every method answers from memory or one query."""

    def person(self, person_id: str) -> PersonFacts | None: ...

    def person_by_plain_id(self, value: str) -> PersonFacts | None: ...

    def appointment(self, reference: str) -> AppointmentFacts | None: ...

    def temp_pass(self, reference: str) -> PassFacts | None: ...

    def gate_locked(self, site: str, gate: str) -> bool: ...

    def plate_allowed(self, plate: str, now: datetime) -> bool:
        """Whitelisted or booked at ``now`` (a vehicle lane's plate check)."""
        ...


def gather_facts(
    passage: Passage,
    *,
    check_code: CodeChecker,
    source: FactSource,
    now: datetime,
    accept_plain_ids: bool,
    quota_exceeded: bool = False,
) -> Facts:
    codes = tuple(check_code(c.data) for c in passage.credentials if c.kind == "qr")
    plain_ids = tuple(c.data for c in passage.credentials if c.kind != "qr")
    valid = [code for code in codes if code.status is CodeStatus.VALID and code.subject]

    person: PersonFacts | None = None
    appointment: AppointmentFacts | None = None
    temp_pass: PassFacts | None = None
    for code in valid:
        subject = code.subject or ""
        if code.typ == "id" and person is None:
            person = source.person(subject)
        elif code.typ == "visitor" and appointment is None:
            appointment = source.appointment(subject)
        elif code.typ == "pass" and temp_pass is None:
            temp_pass = source.temp_pass(subject)
    if person is None and appointment is None and temp_pass is None:
        # A health code names its holder; it identifies them when nothing else does.
        health = next((code for code in valid if code.typ == "health"), None)
        if health is not None:
            person = source.person(health.subject or "")
        elif accept_plain_ids:
            person = next(filter(None, map(source.person_by_plain_id, plain_ids)), None)

    return Facts(
        now=now,
        gate_locked=source.gate_locked(passage.site, passage.gate),
        codes=codes,
        plain_ids=plain_ids,
        person=person,
        appointment=appointment,
        temp_pass=temp_pass,
        quota_exceeded=quota_exceeded,
        plate_allowed=(
            _plate_allowed(source, passage.vehicle.plate, now) if passage.vehicle else None
        ),
    )


def _plate_allowed(source: FactSource, announced: str, now: datetime) -> bool:
    """The announced plate, read the one way (a malformed plate is allowed nowhere)."""
    plate = plate_or_none(announced)
    return plate is not None and source.plate_allowed(plate, now)


def leaving_facts(
    passage: Passage, facts: Facts, policy: Policy, exits_since: Callable[[str, datetime], int]
) -> Facts:
    """Leaving: pass use limits count entries only; the household exit quota applies.

    ``exits_since(household, since)`` counts the household's exits after ``since``.
    """
    if facts.temp_pass is not None and facts.temp_pass.uses_left is not None:
        facts = replace(facts, temp_pass=replace(facts.temp_pass, uses_left=None))
    person = facts.person
    quota = policy.exit_quota_for(passage.gate)
    if person is not None and person.household and quota is not None:
        since = facts.now - timedelta(hours=quota.window_hours)
        if exits_since(person.household, since) >= quota.exits:
            facts = replace(facts, quota_exceeded=True)
    return facts
