"""Hypothesis properties of decide(): severity order, monotone fever rule, exact decimals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kernel.decision import SEVERITY, CodeFacts, CodeStatus, decide
from schemas.messages import Passage
from tests.fixtures.decision import ALICE, ID_CODE, facts, passage, policy

# Temperatures at the sensors' 0.01 C resolution, inside the plausible range.
plausible = st.decimals(min_value=Decimal("34.00"), max_value=Decimal("43.00"), places=2)
any_reading = st.decimals(min_value=Decimal("-40.00"), max_value=Decimal("99.99"), places=2)

code_facts = st.sampled_from(
    [
        ID_CODE,
        CodeFacts(status=CodeStatus.INVALID),
        CodeFacts(status=CodeStatus.EXPIRED),
        CodeFacts(status=CodeStatus.USED, once=True),
        CodeFacts(status=CodeStatus.VALID, typ="health", subject=ALICE.person_id, health="red"),
        CodeFacts(status=CodeStatus.VALID, typ="health", subject=ALICE.person_id, health="yellow"),
    ]
)
situations = st.fixed_dictionaries(
    {
        "gate_locked": st.booleans(),
        "codes": st.lists(code_facts, max_size=3).map(tuple),
        "person": st.sampled_from(
            [
                None,
                ALICE,
                replace(ALICE, open_case_id="C9"),
                replace(ALICE, return_approved=False),
                replace(ALICE, active=False),
            ]
        ),
    }
)
policies = st.fixed_dictionaries(
    {
        "health_code_required": st.booleans(),
        "screening": st.sampled_from([{}, {"north-1": "soft"}]),
        "threshold": st.sampled_from([Decimal("37.3"), Decimal("37.0"), Decimal("38.0")]),
    }
)


def _with_temperature(base: Passage, celsius: Decimal) -> Passage:
    assert base.temperature is not None
    return base.model_copy(
        update={"temperature": base.temperature.model_copy(update={"celsius": celsius})}
    )


@given(situations, policies, plausible, plausible, st.sampled_from([True, False, None]))
def test_raising_the_temperature_never_lowers_the_outcome(
    situation: dict[str, object],
    policy_kw: dict[str, object],
    t1: Decimal,
    t2: Decimal,
    mask: bool | None,
) -> None:
    low, high = sorted((t1, t2))
    base = passage(mask=mask)
    f, pol = facts(**situation), policy(**policy_kw)
    low_outcome = decide(_with_temperature(base, low), f, pol).decision
    high_outcome = decide(_with_temperature(base, high), f, pol).decision
    assert SEVERITY[high_outcome] >= SEVERITY[low_outcome]


@given(situations, policies, any_reading)
def test_a_fever_is_never_admitted_under_hard_screening(
    situation: dict[str, object], policy_kw: dict[str, object], celsius: Decimal
) -> None:
    pol = policy(**{**policy_kw, "screening": {}})
    decision = decide(passage(celsius), facts(**situation), pol)
    if celsius >= pol.threshold:
        assert decision.decision != "admit"
        assert "fever" in decision.reasons or "implausible_temperature" in decision.reasons


@given(situations, policies, any_reading, st.sampled_from([True, False, None]))
def test_the_most_severe_fired_rule_wins_and_every_reason_is_listed(
    situation: dict[str, object], policy_kw: dict[str, object], celsius: Decimal, mask: bool | None
) -> None:
    decision = decide(passage(celsius, mask=mask), facts(**situation), policy(**policy_kw))
    assert len(decision.reasons) == len(set(decision.reasons))
    # Each reason has a fixed severity: the outcome equals the worst of them.
    reason_severity = {
        "gate_closed": "deny", "invalid_code": "deny", "expired_code": "deny",
        "code_used": "deny", "not_whitelisted": "deny", "not_allowed_here": "deny",
        "return_not_approved": "deny", "isolation_pending": "isolate",
        "health_code_missing": "deny", "health_code_yellow": "deny",
        "health_code_red": "isolate", "no_mask": "deny", "no_temperature": "recheck",
        "implausible_temperature": "recheck", "test_expired": "deny", "travel_risk": "deny",
    }  # fmt: skip
    soft = policy_kw["screening"] == {"north-1": "soft"}
    reason_severity["fever"] = "admit" if soft else "isolate"
    expected = max((reason_severity[r] for r in decision.reasons), key=SEVERITY.__getitem__,
                   default="admit")  # fmt: skip
    assert decision.decision == expected
    if situation["gate_locked"]:
        assert "gate_closed" in decision.reasons
    if mask is False:
        assert "no_mask" in decision.reasons
    if situation["person"] is None:
        assert "not_whitelisted" in decision.reasons


@given(st.sampled_from(["37.3", "37.30", "37.300", "37.2", "37.29", "37.299"]))
def test_threshold_is_exact_decimal(text: str) -> None:
    decision = decide(passage(text), facts(), policy())
    expected = "isolate" if Decimal(text) >= Decimal("37.3") else "admit"
    assert decision.decision == expected


def test_json_numbers_stay_exact_through_the_wire() -> None:
    # 37.3 as a JSON float must be exactly 37.3 after parsing, never 37.29999...
    for text, outcome in (("37.3", "isolate"), ("37.2", "admit"), ("37.29", "admit")):
        raw = passage().model_dump_json().replace('"celsius":36.6', f'"celsius":{text}')
        parsed = Passage.model_validate_json(raw)
        assert parsed.temperature is not None
        assert parsed.temperature.celsius == Decimal(text)
        assert decide(parsed, facts(), policy()).decision == outcome
