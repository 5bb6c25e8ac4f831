"""The decision core: ``decide(passage, facts, policy) -> Decision`` (DESIGN section 4).

Pure: no I/O, no clock, no database.  The central service and the gate (when it
decides offline) call the same function, so a gate never decides by other rules.
Every rule that fires adds its reason; the most severe outcome wins
(isolate > deny > recheck > admit) and all reasons are reported.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from kernel.decision.facts import CodeFacts, CodeStatus, Facts, PersonFacts
from kernel.decision.reasons import REASONS, Reason
from schemas.messages import Decision, DecisionPerson, Outcome, Passage
from schemas.policy import Policy

SEVERITY: dict[Outcome, int] = {"admit": 0, "recheck": 1, "deny": 2, "isolate": 3}

IDENTITY_CODE_TYPES = frozenset({"id", "visitor", "pass"})
CODE_STATUS_REASONS: dict[CodeStatus, Reason] = {
    CodeStatus.INVALID: Reason.INVALID_CODE,
    CodeStatus.NOT_YET_VALID: Reason.INVALID_CODE,
    CodeStatus.EXPIRED: Reason.EXPIRED_CODE,
    CodeStatus.USED: Reason.CODE_USED,
}
HEALTH_COLOUR_REASONS: dict[str, Reason] = {
    "yellow": Reason.HEALTH_CODE_YELLOW,
    "red": Reason.HEALTH_CODE_RED,
}


class _Verdict:
    """Collects fired rules; the most severe outcome wins, every reason is kept."""

    def __init__(self) -> None:
        self.outcome: Outcome = "admit"
        self.reasons: list[str] = []

    def fire(self, reason: Reason, outcome: Outcome | None = None) -> None:
        """Add ``reason`` with its catalogue outcome (or ``outcome`` where the rule varies)."""
        if outcome is None:
            outcome = REASONS[reason].outcome
        if reason.value not in self.reasons:
            # The plain code goes on the wire and into the log, not the enum member.
            self.reasons.append(reason.value)
        if SEVERITY[outcome] > SEVERITY[self.outcome]:
            self.outcome = outcome


def _within(now: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= now) and (end is None or now <= end)


def _gate_allowed(gates: frozenset[str] | None, gate: str) -> bool:
    return gates is None or gate in gates


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _open_at(start: time, end: time, now: time) -> bool:
    """Opening hours; a window like 22:00-06:00 wraps past midnight."""
    return start <= now < end if start <= end else now >= start or now < end


def _zone_allows(policy: Policy, gate: str, kind: str, now: datetime) -> bool:
    """The gate's zone admits this kind of person at this local time (no zone: yes)."""
    zone = policy.zone_of(gate)
    if zone is None:
        return True
    if zone.kinds is not None and kind not in zone.kinds:
        return False
    if zone.open_from is not None and zone.open_until is not None:
        local = now.astimezone(_zone(policy.timezone)).time()
        return _open_at(zone.open_from, zone.open_until, local)
    return True


def worse(a: Outcome, b: Outcome) -> Outcome:
    """The more severe of two outcomes."""
    return a if SEVERITY[a] >= SEVERITY[b] else b


def decide(passage: Passage, facts: Facts, policy: Policy) -> Decision:
    """Decide one passage. Pure: the same inputs always give the same Decision."""
    verdict = _Verdict()
    entering = passage.direction == "in"

    if facts.gate_locked or passage.gate in policy.closed_gates:
        verdict.fire(Reason.GATE_CLOSED)

    valid_codes = _check_credentials(verdict, facts, policy)
    _check_identity(verdict, passage, facts, policy, entering=entering)

    if entering:
        _check_health(verdict, valid_codes, facts, policy)
        if policy.mask_required and passage.mask is False:
            verdict.fire(Reason.NO_MASK)
        _check_temperature(verdict, passage, policy)
        if passage.vehicle is not None and facts.plate_allowed is False:
            verdict.fire(Reason.PLATE_NOT_ALLOWED)
    elif facts.quota_exceeded:
        verdict.fire(Reason.QUOTA_EXCEEDED)

    return Decision(
        event_id=passage.event_id,
        gate=passage.gate,
        decision=verdict.outcome,
        reasons=verdict.reasons,
        person=_shown_person(facts.person),
        celsius=passage.temperature.celsius if passage.temperature else None,
        case_id=None,
        policy_version=policy.version,
        decided_at=facts.now,
    )


def _check_credentials(verdict: _Verdict, facts: Facts, policy: Policy) -> list[CodeFacts]:
    valid = [code for code in facts.codes if code.status is CodeStatus.VALID]
    for code in facts.codes:
        reason = CODE_STATUS_REASONS.get(code.status)
        if reason is not None:
            verdict.fire(reason)
    if facts.plain_ids and not policy.accept_plain_ids:
        verdict.fire(Reason.INVALID_CODE)
    # Codes of two different people on one passage: someone is lending a code.
    if len({code.subject for code in valid}) > 1:
        verdict.fire(Reason.INVALID_CODE)
    return valid


def _check_identity(
    verdict: _Verdict, passage: Passage, facts: Facts, policy: Policy, *, entering: bool
) -> None:
    now, gate = facts.now, passage.gate
    person = facts.person
    if person is not None and person.active and _within(now, person.valid_from, person.valid_until):
        kinds = policy.gate_kinds.get(gate)
        if (
            not _gate_allowed(person.gates, gate)
            or (kinds is not None and person.kind not in kinds)
            or not _zone_allows(policy, gate, person.kind, now)
        ):
            verdict.fire(Reason.NOT_ALLOWED_HERE)
        if entering and person.kind == "student" and not person.return_approved:
            verdict.fire(Reason.RETURN_NOT_APPROVED)
        if entering and person.open_case_id is not None:
            verdict.fire(Reason.ISOLATION_PENDING)
        if entering and person.suspended:
            verdict.fire(Reason.SUSPENDED)
        return
    appointment = facts.appointment
    if appointment is not None and _within(now, appointment.valid_from, appointment.valid_until):
        if (
            not policy.visitors_allowed
            or not _gate_allowed(appointment.gates, gate)
            or not _zone_allows(policy, gate, "visitor", now)
        ):
            verdict.fire(Reason.NOT_ALLOWED_HERE)
        return
    temp_pass = facts.temp_pass
    if temp_pass is not None and _within(now, temp_pass.valid_from, temp_pass.valid_until):
        if (
            not _gate_allowed(temp_pass.gates, gate)
            or temp_pass.uses_left == 0
            or not _zone_allows(policy, gate, "pass", now)
        ):
            verdict.fire(Reason.NOT_ALLOWED_HERE)
        return
    verdict.fire(Reason.NOT_WHITELISTED)


def _check_health(
    verdict: _Verdict, valid_codes: list[CodeFacts], facts: Facts, policy: Policy
) -> None:
    health_codes = [code for code in valid_codes if code.typ == "health"]
    if not health_codes:
        if policy.health_code_required:
            verdict.fire(Reason.HEALTH_CODE_MISSING)
        return
    # A presented yellow or red code counts even where the policy does not ask
    # for one: the information is there and ignoring it would be negligent.
    for code in health_codes:
        colour = HEALTH_COLOUR_REASONS.get(code.health or "")
        if colour is not None:
            verdict.fire(colour)
    if not policy.health_code_required:
        return
    if policy.test_max_age_hours is not None:
        limit = timedelta(hours=policy.test_max_age_hours)
        tests = [code.last_negative_test for code in health_codes if code.last_negative_test]
        if not tests or facts.now - max(tests) > limit:
            verdict.fire(Reason.TEST_EXPIRED)
    if policy.travel_check and any(code.risk for code in health_codes):
        verdict.fire(Reason.TRAVEL_RISK)


def _check_temperature(verdict: _Verdict, passage: Passage, policy: Policy) -> None:
    if passage.temperature is None:
        verdict.fire(Reason.NO_TEMPERATURE)
        return
    celsius = passage.temperature.celsius
    if not policy.plausible_min <= celsius <= policy.plausible_max:
        verdict.fire(Reason.IMPLAUSIBLE_TEMPERATURE)
        return
    if celsius >= policy.threshold:
        # Soft screening admits but still alerts and logs: the reason stays.
        hard = policy.screening_for(passage.gate) == "hard"
        verdict.fire(Reason.FEVER, None if hard else "admit")


def _shown_person(person: PersonFacts | None) -> DecisionPerson | None:
    if person is None:
        return None
    return DecisionPerson(
        id=person.person_id, name=person.name, kind=person.kind, masked_id=person.masked_id
    )
