"""What follows a decision, decided once: the rules both the centre and the gate apply.

``aftermath(passage, decision, facts, now=...)`` is pure like ``decide()``: it
reads nothing and writes nothing, it says what the decision brings with it.

- The person shown: a visitor or a pass holder is shown by their grant's name,
  like a roster person, so the guard can compare a face with a name.
- Isolation cases: a passage of someone already under a case joins that case;
  a fever (also admitted under soft screening) or any other isolation opens one.
- One-time codes: spent only by an admitted entry; the holder may still leave.
- Counting: an admitted exit counts against the person's household quota, an
  admitted entry on a temporary pass against its uses.

The central worker applies the result to its database (and to the batch's facts,
so the next passage in the batch sees it); the gate's offline decider applies the
parts it can hold (spent codes) to its own state.  Cases are opened by the centre
alone: a passage decided offline is forwarded and opens its case there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from kernel.decision.facts import CodeFacts, CodeStatus, Facts
from kernel.decision.reasons import Reason
from schemas.messages import Decision, DecisionPerson, Passage


@dataclass(frozen=True, slots=True)
class CaseOpening:
    """A new isolation case to open for this passage (the centre gives it its id)."""

    person_id: str | None
    celsius: Decimal | None


@dataclass(frozen=True, slots=True)
class HouseholdExit:
    """An admitted exit, counted against the household's quota."""

    household: str
    person_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Aftermath:
    """The decision as answered, and what it changes besides the entry log."""

    decision: Decision
    opens_case: CaseOpening | None = None
    spent_codes: tuple[str, ...] = ()  # jtis of one-time codes this admission used up
    household_exit: HouseholdExit | None = None
    pass_use: str | None = None  # the pass an admitted entry counts against


def once_used(code: CodeFacts, *, entering: bool, used: Callable[[str], bool]) -> CodeFacts:
    """A valid one-time code already spent is ``USED`` for an entry (leaving stays open)."""
    if entering and code.status is CodeStatus.VALID and code.once and code.jti and used(code.jti):
        return replace(code, status=CodeStatus.USED)
    return code


def grant_holder(facts: Facts) -> DecisionPerson | None:
    """Who a visitor's appointment or a temporary pass names, shown as the person."""
    if facts.person is not None:
        return None
    if facts.appointment is not None:
        held = facts.appointment
        return DecisionPerson(
            id=held.appointment_id, name=held.visitor_name, kind="visitor", masked_id=held.masked_id
        )
    if facts.temp_pass is not None:
        grant = facts.temp_pass
        return DecisionPerson(
            id=grant.pass_id, name=grant.holder_name, kind="pass", masked_id=grant.masked_id
        )
    return None


def opens_case(decision: Decision) -> bool:
    """A fever (also when admitted under soft screening) or any isolation but a pending one."""
    return Reason.FEVER in decision.reasons or (
        decision.decision == "isolate" and decision.reasons != [Reason.ISOLATION_PENDING]
    )


def aftermath(passage: Passage, decision: Decision, facts: Facts, *, now: datetime) -> Aftermath:
    """What ``decision`` of ``passage`` brings with it; ``now`` is when it is logged."""
    if decision.person is None:
        shown = grant_holder(facts)
        if shown is not None:
            decision = decision.model_copy(update={"person": shown})
    person = facts.person
    case: CaseOpening | None = None
    open_case = person.open_case_id if person is not None else None
    if open_case is not None and Reason.ISOLATION_PENDING in decision.reasons:
        # Already under a case: this passage joins it rather than opening another.
        decision = decision.model_copy(update={"case_id": open_case})
    elif opens_case(decision):
        celsius = passage.temperature.celsius if passage.temperature else None
        case = CaseOpening(person.person_id if person else None, celsius)
    if decision.decision != "admit":
        return Aftermath(decision, case)
    if passage.direction == "out":
        leaving: HouseholdExit | None = None
        if person is not None and person.household:
            # The gate's clock, but never later than the centre's.
            leaving = HouseholdExit(person.household, person.person_id, min(passage.ts, now))
        return Aftermath(decision, case, household_exit=leaving)
    # The same code scanned twice is spent once.
    spent = tuple(
        dict.fromkeys(
            code.jti
            for code in facts.codes
            if code.once and code.jti and code.status is CodeStatus.VALID
        )
    )
    pass_use = None
    if person is None and facts.appointment is None and facts.temp_pass is not None:
        pass_use = facts.temp_pass.pass_id
    return Aftermath(decision, case, spent, None, pass_use)
