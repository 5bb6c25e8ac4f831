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
from schemas.messages import Decision, DecisionPerson, Outcome, Passage
from schemas.policy import Policy

SEVERITY: dict[Outcome, int] = {"admit": 0, "recheck": 1, "deny": 2, "isolate": 3}

IDENTITY_CODE_TYPES = frozenset({"id", "visitor", "pass"})
CODE_STATUS_REASONS: dict[CodeStatus, str] = {
    CodeStatus.INVALID: "invalid_code",
    CodeStatus.NOT_YET_VALID: "invalid_code",
    CodeStatus.EXPIRED: "expired_code",
    CodeStatus.USED: "code_used",
}
HEALTH_COLOUR_RULES: dict[str, tuple[Outcome, str]] = {
    "yellow": ("deny", "health_code_yellow"),
    "red": ("isolate", "health_code_red"),
}


class _Verdict:
    """Collects fired rules; the most severe outcome wins, every reason is kept."""

    def __init__(self) -> None:
        self.outcome: Outcome = "admit"
        self.reasons: list[str] = []

    def fire(self, outcome: Outcome, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
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
        verdict.fire("deny", "gate_closed")

    valid_codes = _check_credentials(verdict, facts, policy)
    _check_identity(verdict, passage, facts, policy, entering=entering)

    if entering:
        _check_health(verdict, valid_codes, facts, policy)
        if policy.mask_required and passage.mask is False:
            verdict.fire("deny", "no_mask")
        _check_temperature(verdict, passage, policy)
    elif facts.quota_exceeded:
        verdict.fire("deny", "quota_exceeded")

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
            verdict.fire("deny", reason)
    if facts.plain_ids and not policy.accept_plain_ids:
        verdict.fire("deny", "invalid_code")
    # Codes of two different people on one passage: someone is lending a code.
    if len({code.subject for code in valid}) > 1:
        verdict.fire("deny", "invalid_code")
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
            verdict.fire("deny", "not_allowed_here")
        if entering and person.kind == "student" and not person.return_approved:
            verdict.fire("deny", "return_not_approved")
        if entering and person.open_case_id is not None:
            verdict.fire("isolate", "isolation_pending")
        return
    appointment = facts.appointment
    if appointment is not None and _within(now, appointment.valid_from, appointment.valid_until):
        if (
            not policy.visitors_allowed
            or not _gate_allowed(appointment.gates, gate)
            or not _zone_allows(policy, gate, "visitor", now)
        ):
            verdict.fire("deny", "not_allowed_here")
        return
    temp_pass = facts.temp_pass
    if temp_pass is not None and _within(now, temp_pass.valid_from, temp_pass.valid_until):
        if (
            not _gate_allowed(temp_pass.gates, gate)
            or temp_pass.uses_left == 0
            or not _zone_allows(policy, gate, "pass", now)
        ):
            verdict.fire("deny", "not_allowed_here")
        return
    verdict.fire("deny", "not_whitelisted")


def _check_health(
    verdict: _Verdict, valid_codes: list[CodeFacts], facts: Facts, policy: Policy
) -> None:
    health_codes = [code for code in valid_codes if code.typ == "health"]
    if not health_codes:
        if policy.health_code_required:
            verdict.fire("deny", "health_code_missing")
        return
    # A presented yellow or red code counts even where the policy does not ask
    # for one: the information is there and ignoring it would be negligent.
    for code in health_codes:
        rule = HEALTH_COLOUR_RULES.get(code.health or "")
        if rule is not None:
            verdict.fire(*rule)
    if not policy.health_code_required:
        return
    if policy.test_max_age_hours is not None:
        limit = timedelta(hours=policy.test_max_age_hours)
        tests = [code.last_negative_test for code in health_codes if code.last_negative_test]
        if not tests or facts.now - max(tests) > limit:
            verdict.fire("deny", "test_expired")
    if policy.travel_check and any(code.risk for code in health_codes):
        verdict.fire("deny", "travel_risk")


def _check_temperature(verdict: _Verdict, passage: Passage, policy: Policy) -> None:
    if passage.temperature is None:
        verdict.fire("recheck", "no_temperature")
        return
    celsius = passage.temperature.celsius
    if not policy.plausible_min <= celsius <= policy.plausible_max:
        verdict.fire("recheck", "implausible_temperature")
        return
    if celsius >= policy.threshold:
        # Soft screening admits but still alerts and logs: the reason stays.
        hard = policy.screening_for(passage.gate) == "hard"
        verdict.fire("isolate" if hard else "admit", "fever")


def _shown_person(person: PersonFacts | None) -> DecisionPerson | None:
    if person is None:
        return None
    return DecisionPerson(
        id=person.person_id, name=person.name, kind=person.kind, masked_id=person.masked_id
    )
