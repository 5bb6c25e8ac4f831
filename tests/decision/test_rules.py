"""Table tests: every reason of DESIGN section 4, with the outcome it must give."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from kernel.decision import AppointmentFacts, CodeFacts, CodeStatus, PassFacts, decide
from tests.fixtures.decision import ALICE, ID_CODE, NOW, facts, passage, policy

HEALTH_GREEN = CodeFacts(
    status=CodeStatus.VALID,
    typ="health",
    subject=ALICE.person_id,
    health="green",
    last_negative_test=NOW - timedelta(hours=20),
    risk=False,
)
APPOINTMENT = AppointmentFacts(
    appointment_id="A1",
    visitor_name="Bob",
    gates=frozenset({"north-1"}),
    valid_from=NOW - timedelta(hours=1),
    valid_until=NOW + timedelta(hours=1),
)
TEMP_PASS = PassFacts(
    pass_id="P1",
    category="duty",
    gates=None,
    valid_from=NOW - timedelta(hours=1),
    valid_until=NOW + timedelta(hours=1),
)

CASES = [
    # (name, passage kwargs, facts kwargs, policy kwargs, outcome, reasons)
    ("admit", {}, {}, {}, "admit", []),
    ("gate closed", {}, {"gate_locked": True}, {}, "deny", ["gate_closed"]),
    (
        "forged code",
        {},
        {"codes": (CodeFacts(status=CodeStatus.INVALID),), "person": None},
        {},
        "deny",
        ["invalid_code", "not_whitelisted"],
    ),
    (
        "code not yet valid",
        {},
        {"codes": (CodeFacts(status=CodeStatus.NOT_YET_VALID),), "person": None},
        {},
        "deny",
        ["invalid_code", "not_whitelisted"],
    ),
    (
        "expired code",
        {},
        {"codes": (CodeFacts(status=CodeStatus.EXPIRED),), "person": None},
        {},
        "deny",
        ["expired_code", "not_whitelisted"],
    ),
    (
        "one-time code reused",
        {},
        {"codes": (CodeFacts(status=CodeStatus.USED, typ="visitor", once=True),), "person": None},
        {},
        "deny",
        ["code_used", "not_whitelisted"],
    ),
    (
        "plain id where not accepted",
        {},
        {"codes": (), "plain_ids": ("2021001",), "person": None},
        {},
        "deny",
        ["invalid_code", "not_whitelisted"],
    ),
    (
        "plain id where accepted",
        {},
        {"codes": (), "plain_ids": ("2021001",)},
        {"accept_plain_ids": True},
        "admit",
        [],
    ),
    (
        "codes of two people",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, subject="someone-else"))},
        {},
        "deny",
        ["invalid_code"],
    ),
    ("unknown person", {}, {"person": None}, {}, "deny", ["not_whitelisted"]),
    (
        "inactive person",
        {},
        {"person": replace(ALICE, active=False)},
        {},
        "deny",
        ["not_whitelisted"],
    ),
    (
        "validity ended",
        {},
        {"person": replace(ALICE, valid_until=NOW - timedelta(seconds=1))},
        {},
        "deny",
        ["not_whitelisted"],
    ),
    (
        "validity not started",
        {},
        {"person": replace(ALICE, valid_from=NOW + timedelta(seconds=1))},
        {},
        "deny",
        ["not_whitelisted"],
    ),
    (
        "gate not in person's gates",
        {"gate": "south-2"},
        {"person": replace(ALICE, gates=frozenset({"north-1"}))},
        {},
        "deny",
        ["not_allowed_here"],
    ),
    (
        "kind not allowed at gate",
        {},
        {},
        {"gate_kinds": {"north-1": frozenset({"staff"})}},
        "deny",
        ["not_allowed_here"],
    ),
    (
        "student not approved to return",
        {},
        {"person": replace(ALICE, return_approved=False)},
        {},
        "deny",
        ["return_not_approved"],
    ),
    (
        "open isolation case",
        {},
        {"person": replace(ALICE, open_case_id="C1")},
        {},
        "isolate",
        ["isolation_pending"],
    ),
    ("visitor with appointment", {}, {"person": None, "appointment": APPOINTMENT}, {}, "admit", []),
    (
        "visitor at another gate",
        {"gate": "south-2"},
        {"person": None, "appointment": APPOINTMENT},
        {},
        "deny",
        ["not_allowed_here"],
    ),
    (
        "visitors banned",
        {},
        {"person": None, "appointment": APPOINTMENT},
        {"visitors_allowed": False},
        "deny",
        ["not_allowed_here"],
    ),
    (
        "appointment window over",
        {},
        {"person": None, "appointment": replace(APPOINTMENT, valid_until=NOW - timedelta(1))},
        {},
        "deny",
        ["not_whitelisted"],
    ),
    ("temporary pass", {}, {"person": None, "temp_pass": TEMP_PASS}, {}, "admit", []),
    (
        "temporary pass used up",
        {},
        {"person": None, "temp_pass": replace(TEMP_PASS, uses_left=0)},
        {},
        "deny",
        ["not_allowed_here"],
    ),
    (
        "health code missing",
        {},
        {},
        {"health_code_required": True},
        "deny",
        ["health_code_missing"],
    ),
    (
        "health code green",
        {},
        {"codes": (ID_CODE, HEALTH_GREEN)},
        {"health_code_required": True},
        "admit",
        [],
    ),
    (
        "health code yellow",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, health="yellow"))},
        {"health_code_required": True},
        "deny",
        ["health_code_yellow"],
    ),
    (
        "health code red",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, health="red"))},
        {"health_code_required": True},
        "isolate",
        ["health_code_red"],
    ),
    (
        "red health code counts even when not required",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, health="red"))},
        {},
        "isolate",
        ["health_code_red"],
    ),
    (
        "nucleic-acid test too old",
        {},
        {"codes": (ID_CODE, HEALTH_GREEN)},
        {"health_code_required": True, "test_max_age_hours": 12},
        "deny",
        ["test_expired"],
    ),
    (
        "no nucleic-acid test at all",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, last_negative_test=None))},
        {"health_code_required": True, "test_max_age_hours": 48},
        "deny",
        ["test_expired"],
    ),
    (
        "travel through a risk area",
        {},
        {"codes": (ID_CODE, replace(HEALTH_GREEN, risk=True))},
        {"health_code_required": True, "travel_check": True},
        "deny",
        ["travel_risk"],
    ),
    ("no mask", {"mask": False}, {}, {}, "deny", ["no_mask"]),
    ("mask unknown is not a denial", {"mask": None}, {}, {}, "admit", []),
    ("mask not required", {"mask": False}, {}, {"mask_required": False}, "admit", []),
    ("no temperature", {"celsius": None}, {}, {}, "recheck", ["no_temperature"]),
    ("too cold to be real", {"celsius": "33.9"}, {}, {}, "recheck", ["implausible_temperature"]),
    ("too hot to be real", {"celsius": "43.1"}, {}, {}, "recheck", ["implausible_temperature"]),
    ("plausible minimum", {"celsius": "34.0"}, {}, {}, "admit", []),
    ("fever at the threshold", {"celsius": "37.3"}, {}, {}, "isolate", ["fever"]),
    ("just below the threshold", {"celsius": "37.2"}, {}, {}, "admit", []),
    ("fever, unknown person", {"celsius": "38.5"}, {"person": None}, {}, "isolate",
     ["not_whitelisted", "fever"]),
    ("soft screening admits a fever but keeps the reason", {"celsius": "38.0"}, {},
     {"screening": {"north-1": "soft"}}, "admit", ["fever"]),
    ("per-site threshold", {"celsius": "37.1"}, {}, {"threshold": Decimal("37.0")}, "isolate",
     ["fever"]),
    ("leaving needs no temperature", {"celsius": None, "direction": "out"}, {}, {}, "admit", []),
    ("leaving over the household quota", {"direction": "out"}, {"quota_exceeded": True}, {},
     "deny", ["quota_exceeded"]),
    ("leaving while unknown", {"direction": "out"}, {"person": None}, {}, "deny",
     ["not_whitelisted"]),
    ("everything at once", {"celsius": "39.0", "mask": False},
     {"gate_locked": True, "codes": (CodeFacts(status=CodeStatus.EXPIRED),), "person": None},
     {}, "isolate", ["gate_closed", "expired_code", "not_whitelisted", "no_mask", "fever"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("passage_kw", "facts_kw", "policy_kw", "outcome", "reasons"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule_table(
    passage_kw: dict[str, object],
    facts_kw: dict[str, object],
    policy_kw: dict[str, object],
    outcome: str,
    reasons: list[str],
) -> None:
    p = passage(**passage_kw)  # type: ignore[arg-type]
    decision = decide(p, facts(**facts_kw), policy(**policy_kw))
    assert decision.decision == outcome
    assert decision.reasons == reasons


def test_every_reason_of_the_design_is_covered() -> None:
    covered = {reason for case in CASES for reason in case[5]}
    design_reasons = {
        "gate_closed", "invalid_code", "expired_code", "code_used", "not_whitelisted",
        "not_allowed_here", "return_not_approved", "isolation_pending", "health_code_missing",
        "health_code_yellow", "health_code_red", "test_expired", "travel_risk", "no_mask",
        "no_temperature", "implausible_temperature", "fever", "quota_exceeded",
    }  # fmt: skip
    assert design_reasons <= covered


def test_decision_carries_passage_person_and_policy() -> None:
    p = passage("36.8")
    decision = decide(p, facts(), policy())
    assert decision.event_id == p.event_id
    assert decision.gate == "north-1"
    assert decision.celsius == Decimal("36.8")
    assert decision.policy_version == 7
    assert decision.decided_at == NOW
    assert decision.person is not None
    assert decision.person.name == "Alice"
    assert decision.person.masked_id.endswith("1234")
    assert decision.case_id is None


def test_decide_is_deterministic() -> None:
    p = passage("37.5")
    assert decide(p, facts(), policy()) == decide(p, facts(), policy())
