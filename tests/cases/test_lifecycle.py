"""The case lifecycle as a pure state machine: tables for each rule, properties over sequences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.lifecycle import (
    ISOLATING,
    Acknowledge,
    Action,
    Actor,
    CaseRefused,
    CaseState,
    Confirm,
    Measure,
    Observe,
    Refer,
    Release,
    Return,
    Status,
    Suspect,
    apply,
    isolates,
    suspends,
)

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NURSE = Actor("nurse", "clinic")
OPENED = CaseState(opened_at=NOW)


def run(*actions: Action, state: CaseState = OPENED, actor: Actor = NURSE) -> CaseState:
    for action in actions:
        state = apply(state, action, actor).state
    return state


def test_the_fever_path_to_observation_and_release() -> None:
    step = apply(OPENED, Acknowledge(), NURSE)
    assert step.state.status is Status.ACKNOWLEDGED
    assert step.events == (("acknowledged", ""),)
    state = run(Acknowledge(), Measure(Decimal("36.6")))
    assert state.status is Status.REMEASURED
    assert isolates(state)
    state = run(Observe("room", NOW, NOW + timedelta(days=14), "R2"), state=state)
    assert state.status is Status.OBSERVATION
    assert isolates(state)
    state = run(Measure(Decimal("36.5")), Measure(Decimal("36.4")), state=state)
    assert state.status is Status.OBSERVATION  # twice-daily readings keep it there
    released = apply(state, Release("14 days without symptoms"), NURSE)
    assert released.state.status is Status.RELEASED
    assert not isolates(released.state)
    assert released.events == (("released", "14 days without symptoms"),)


def test_a_step_on_an_open_case_acknowledges_it_on_the_way() -> None:
    step = apply(OPENED, Measure(Decimal("37.0")), NURSE)
    assert [kind for kind, _ in step.events] == ["acknowledged", "remeasured"]
    assert step.state.status is Status.REMEASURED


def test_releasing_twice_is_refused() -> None:
    state = run(Release("normal on re-measure"))
    with pytest.raises(CaseRefused) as refused:
        apply(state, Release("again"), NURSE)
    assert refused.value.code == "case_released"


@pytest.mark.parametrize("role", ["guard", "security", "admin", "auditor", ""])
def test_nobody_but_a_clinician_acts(role: str) -> None:
    for action in (Acknowledge(), Measure(Decimal("36.6")), Release("fine")):
        with pytest.raises(CaseRefused) as refused:
            apply(OPENED, action, Actor("someone", role))
        assert (refused.value.code, refused.value.kind) == ("not_clinician", "forbidden")


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (Measure(Decimal("150")), "implausible_reading"),
        (Measure(Decimal("-1")), "implausible_reading"),
        (Observe("home", NOW, NOW - timedelta(days=1)), "observation_ends_before_start"),
        (Observe("home", NOW, NOW), "observation_ends_before_start"),
        (Observe("room", NOW, NOW + timedelta(days=1), "  "), "room_required"),
        (Refer(" ", NOW), "hospital_required"),
        (Release("   "), "reason_required"),
        (Release("x" * 501), "bad_reason"),
        (Release("line\x00break"), "bad_reason"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(action: Action, code: str) -> None:
    with pytest.raises(CaseRefused) as refused:
        apply(OPENED, action, NURSE)
    assert (refused.value.code, refused.value.kind) == (code, "invalid")


def test_a_confirmed_case_suspends_until_the_return_after_release() -> None:
    state = run(Suspect("CT findings"), Confirm("PCR positive"))
    assert state.status is Status.CONFIRMED
    assert isolates(state)
    assert suspends(state)
    with pytest.raises(CaseRefused, match="case_not_released"):
        apply(state, Return(date(2026, 12, 30), "CERT-1"), NURSE)
    state = run(Refer("City Hospital", NOW), Release("discharged"), state=state)
    assert not isolates(state)
    assert suspends(state)
    with pytest.raises(CaseRefused, match="return_before_case"):
        apply(state, Return(date(2026, 11, 1), "CERT-1"), NURSE)
    with pytest.raises(CaseRefused, match="certificate_required"):
        apply(state, Return(date(2026, 12, 30), " "), NURSE)
    back = apply(state, Return(date(2026, 12, 30), "CERT-1"), NURSE)
    assert back.events == (("returned", "2026-12-30, CERT-1"),)
    assert not suspends(back.state)
    with pytest.raises(CaseRefused, match="already_returned"):
        apply(back.state, Return(date(2026, 12, 31), "CERT-2"), NURSE)


def test_a_return_needs_a_confirmed_case() -> None:
    with pytest.raises(CaseRefused, match="not_suspended"):
        apply(run(Release("normal")), Return(date(2026, 12, 4), "CERT"), NURSE)


# -- properties over any sequence of actions ----------------------------------------------

celsius = st.decimals(min_value=Decimal("-50"), max_value=Decimal("200"), places=1)
moments = st.integers(min_value=-3, max_value=30).map(lambda d: NOW + timedelta(days=d))
texts = st.text(max_size=30)
actions = st.one_of(
    st.builds(Acknowledge),
    st.builds(Measure, celsius),
    st.builds(Observe, st.sampled_from(["room", "home"]), moments, moments, texts),
    st.builds(Refer, texts, moments),
    st.builds(Suspect, texts),
    st.builds(Confirm, texts),
    st.builds(Release, texts),
    st.builds(Return, st.dates(date(2026, 11, 1), date(2027, 3, 1)), texts),
)
actors = st.sampled_from(
    [NURSE, Actor("guard-n1", "guard"), Actor("officer", "security"), Actor("admin", "admin")]
)


@settings(max_examples=400)
@given(st.lists(st.tuples(actions, actors), max_size=25))
def test_no_sequence_of_actions_closes_a_case_silently(steps: list[tuple[Action, Actor]]) -> None:
    state = OPENED
    for action, actor in steps:
        try:
            step = apply(state, action, actor)
        except CaseRefused:
            continue  # a refusal changes nothing
        # Every accepted action leaves a line on the timeline, and only a clinician's.
        assert step.events
        assert actor.role == "clinic"
        if state.status in ISOLATING and not isolates(step.state):
            # The only way out of isolation: a release by a clinician, with its reason.
            assert isinstance(action, Release)
            assert action.reason.strip()
            assert step.events[-1][0] == "released"
        if isinstance(action, Measure):
            assert isolates(step.state) == isolates(state)  # a reading never releases
        if suspends(state) and not suspends(step.state):
            assert isinstance(action, Return)
        assert not (state.status is Status.RELEASED and isolates(step.state))
        state = step.state


@given(st.lists(actions, max_size=15))
def test_a_guard_can_do_nothing_at_all(sequence: list[Action]) -> None:
    for action in sequence:
        with pytest.raises(CaseRefused, match="not_clinician"):
            apply(OPENED, action, Actor("guard-n1", "guard"))


@given(st.lists(actions, max_size=15), texts)
def test_a_released_case_refuses_every_second_release(sequence: list[Action], why: str) -> None:
    state = run(Release("first release"))
    for action in [*sequence, Release(why)]:
        if isinstance(action, Return):
            continue
        with pytest.raises(CaseRefused):
            apply(state, action, NURSE)
