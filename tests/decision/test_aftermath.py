"""What follows a decision (kernel.decision.aftermath): table tests and properties, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.decision import AppointmentFacts, CodeFacts, CodeStatus, PassFacts, decide
from kernel.decision.aftermath import (
    Aftermath,
    CaseOpening,
    HouseholdExit,
    aftermath,
    once_used,
)
from kernel.decision.facts import Facts, PersonFacts
from kernel.decision.reasons import Reason
from schemas.messages import DecisionPerson, Passage
from tests.fixtures.decision import ALICE, ID_CODE, NOW, facts, passage, policy

ONCE = CodeFacts(status=CodeStatus.VALID, typ="id", subject=ALICE.person_id, jti="t1", once=True)
RESIDENT = replace(ALICE, kind="family", household="H-7")
LATER = NOW + timedelta(minutes=5)  # when the centre logs it
VISIT = AppointmentFacts(
    appointment_id="A-1", visitor_name="Zhang San", gates=None,
    valid_from=NOW - timedelta(hours=1), valid_until=NOW + timedelta(hours=1),
    masked_id="**************0042",
)  # fmt: skip
PASS = PassFacts(
    pass_id="P-1", category="duty", gates=None, valid_from=NOW - timedelta(hours=1),
    valid_until=NOW + timedelta(hours=1), uses_left=2, holder_name="Li Si",
    masked_id="**************0077",
)  # fmt: skip
RED = CodeFacts(status=CodeStatus.VALID, typ="health", subject=ALICE.person_id, health="red")
VISITOR_CODE = CodeFacts(status=CodeStatus.VALID, typ="visitor", subject="A-1")
PASS_CODE = CodeFacts(status=CodeStatus.VALID, typ="pass", subject="P-1")


def follow(p: Passage, f: Facts, **policy_changes: object) -> Aftermath:
    return aftermath(p, decide(p, f, policy(**policy_changes)), f, now=LATER)


def test_an_admitted_entry_spends_its_one_time_code_once() -> None:
    after = follow(passage(), facts(codes=(ONCE, ONCE)))
    assert after.decision.decision == "admit"
    assert after.spent_codes == ("t1",)  # scanned twice, spent once
    assert (after.opens_case, after.household_exit, after.pass_use) == (None, None, None)


@pytest.mark.parametrize(
    ("p", "f", "why"),
    [
        (passage(direction="out"), facts(codes=(ONCE,)), "leaving does not spend it"),
        (passage(mask=False), facts(codes=(ONCE,)), "a denied entry does not spend it"),
        (passage(None), facts(codes=(ONCE,)), "a recheck does not spend it"),
        (passage(), facts(codes=(ID_CODE,)), "a reusable code is never spent"),
    ],
)
def test_no_code_is_spent_without_an_admitted_entry(p: Passage, f: Facts, why: str) -> None:
    assert follow(p, f).spent_codes == (), why


def test_a_spent_code_is_used_only_for_entering() -> None:
    spent = {"t1"}.__contains__
    assert once_used(ONCE, entering=True, used=spent).status is CodeStatus.USED
    assert once_used(ONCE, entering=False, used=spent) == ONCE
    assert once_used(ONCE, entering=True, used=set().__contains__) == ONCE
    expired = replace(ONCE, status=CodeStatus.EXPIRED)
    assert once_used(expired, entering=True, used=spent) == expired


def test_an_admitted_exit_counts_for_the_household_at_the_earlier_clock() -> None:
    ahead = passage(direction="out", ts=LATER + timedelta(minutes=1))  # the gate's clock runs fast
    after = follow(ahead, facts(person=RESIDENT))
    assert after.household_exit == HouseholdExit("H-7", RESIDENT.person_id, LATER)
    assert follow(passage(direction="out"), facts(person=RESIDENT)).household_exit == (
        HouseholdExit("H-7", RESIDENT.person_id, NOW)
    )
    assert follow(passage(direction="out"), facts()).household_exit is None  # no household
    denied = follow(passage(direction="out"), facts(person=RESIDENT, quota_exceeded=True))
    assert denied.household_exit is None
    assert follow(passage(), facts(person=RESIDENT)).household_exit is None  # entering


@pytest.mark.parametrize(
    ("p", "f", "case"),
    [
        (passage("38.5"), facts(), CaseOpening(ALICE.person_id, Decimal("38.5"))),
        (passage("38.5"), facts(person=None, codes=()), CaseOpening(None, Decimal("38.5"))),
        (passage(), facts(codes=(ID_CODE, RED)), CaseOpening(ALICE.person_id, Decimal("36.6"))),
        (passage("36.6"), facts(), None),
        (passage("30.0"), facts(), None),  # implausible: a recheck, no case
    ],
)
def test_isolation_and_fever_open_a_case(p: Passage, f: Facts, case: CaseOpening | None) -> None:
    after = follow(p, f)
    assert after.opens_case == case
    assert after.decision.case_id is None  # the centre gives a new case its id


def test_a_fever_under_soft_screening_is_admitted_and_still_opens_a_case() -> None:
    after = follow(passage("38.5"), facts(codes=(ONCE,)), screening={"north-1": "soft"})
    assert after.decision.decision == "admit"
    assert after.opens_case == CaseOpening(ALICE.person_id, Decimal("38.5"))
    assert after.spent_codes == ("t1",)


@pytest.mark.parametrize("celsius", ["36.6", "38.5"])
def test_someone_under_a_case_joins_it_rather_than_opening_another(celsius: str) -> None:
    under = replace(ALICE, open_case_id="C-9")
    after = follow(passage(celsius), facts(person=under))
    assert after.decision.decision == "isolate"
    assert after.decision.case_id == "C-9"
    assert after.opens_case is None


def test_a_visitor_and_a_pass_holder_are_shown_by_their_grants_name() -> None:
    visit = follow(passage(), facts(person=None, codes=(VISITOR_CODE,), appointment=VISIT))
    assert visit.decision.person == DecisionPerson(
        id="A-1", name="Zhang San", kind="visitor", masked_id="**************0042"
    )
    assert visit.pass_use is None
    held = follow(passage(), facts(person=None, codes=(PASS_CODE,), temp_pass=PASS))
    assert held.decision.person == DecisionPerson(
        id="P-1", name="Li Si", kind="pass", masked_id="**************0077"
    )
    assert held.pass_use == "P-1"
    holder = facts(person=None, codes=(PASS_CODE,), temp_pass=PASS)
    leaving = follow(passage(direction="out"), holder)
    assert leaving.decision.person is not None
    assert leaving.pass_use is None  # uses count entries
    both = follow(passage(), facts(person=None, appointment=VISIT, temp_pass=PASS))
    assert both.decision.person is not None
    assert both.decision.person.kind == "visitor"
    assert both.pass_use is None


def test_a_roster_person_is_shown_as_themself_and_uses_no_pass() -> None:
    after = follow(passage(), facts(temp_pass=PASS))
    assert after.decision.person is not None
    assert after.decision.person.id == ALICE.person_id
    assert after.pass_use is None


people = st.sampled_from(
    [None, ALICE, RESIDENT, replace(ALICE, open_case_id="C-9"), replace(RESIDENT, active=False)]
)
codes = st.lists(
    st.sampled_from([ID_CODE, ONCE, VISITOR_CODE, PASS_CODE, CodeFacts(status=CodeStatus.USED)]),
    max_size=3,
).map(tuple)


@given(
    person=people,
    codes=codes,
    appointment=st.sampled_from([None, VISIT]),
    temp_pass=st.sampled_from([None, PASS]),
    celsius=st.sampled_from([None, "30.0", "36.6", "37.3", "39.0"]),
    direction=st.sampled_from(["in", "out"]),
    soft=st.booleans(),
    quota=st.booleans(),
)
def test_the_aftermath_follows_the_decision_and_never_changes_it(
    person: PersonFacts | None,
    codes: tuple[CodeFacts, ...],
    appointment: AppointmentFacts | None,
    temp_pass: PassFacts | None,
    celsius: str | None,
    direction: str,
    soft: bool,
    quota: bool,
) -> None:
    p = passage(celsius, direction=direction)
    f = facts(
        person=person,
        codes=codes,
        appointment=appointment,
        temp_pass=temp_pass,
        quota_exceeded=quota,
    )
    decision = decide(p, f, policy(screening={"north-1": "soft"} if soft else {}))
    after = aftermath(p, decision, f, now=LATER)
    assert after == aftermath(p, decision, f, now=LATER)  # pure: same in, same out
    assert (after.decision.decision, after.decision.reasons) == (
        decision.decision,
        decision.reasons,
    )
    admitted = decision.decision == "admit"
    assert not after.spent_codes or (admitted and direction == "in")
    assert after.household_exit is None or (admitted and direction == "out")
    assert after.pass_use is None or (admitted and direction == "in" and person is None)
    assert after.opens_case is None or after.decision.case_id is None  # join or open, not both
    if decision.decision == "isolate" or Reason.FEVER in decision.reasons:
        assert (after.opens_case is None) == (after.decision.case_id is not None)
    if person is not None:
        assert after.decision.person == decision.person  # roster people are shown as decided
