"""The policy editor's rules: one problem per field, the change field by field, the save
against the version read (never a silent overwrite), and a response level that would
replace a hand-set value refused until confirmed (issue 18, build 4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from schemas.policy import Policy
from services.policy.editor import PolicyInvalid, changes, check_policy, save_policy
from services.policy.level_editor import check_level, level_token, preview_level, save_level
from services.policy.service import (
    LevelOverrides,
    PolicyStale,
    ResponseLevel,
    change_policy,
    define_level,
    hand_set_overrides,
    switch_level,
)
from services.storage.models import AuditLogRow
from tests.fixtures.admin import SITE

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
GATES = frozenset({"north-1", "north-2", "south-2"})
KINDS = ("student", "staff", "family", "visitor", "contractor")
CODES = {
    "too_low", "too_high", "threshold_outside_range", "range_order", "unknown_gate", "unknown_kind",
    "gate_in_two_zones", "zone_hours_overlap", "hours_paired", "hours_empty", "unknown_zone",
    "unknown_field", "bad_name", "bad_choice", "bad_time", "bad_number", "too_long", "too_many",
    "required", "invalid",
}  # fmt: skip


def form(**changed: Any) -> dict[str, Any]:
    """The whole default policy as the editor sends it, with ``changed`` settings."""
    values = json.loads(Policy(site=SITE).model_dump_json(exclude={"site", "version", "level"}))
    return {**values, **changed}


def problems(values: dict[str, Any], current: Policy | None = None) -> set[tuple[str, str]]:
    with pytest.raises(PolicyInvalid) as caught:
        check_policy(values, site=SITE, current=current or Policy(site=SITE), gates=GATES,
                     kinds=KINDS)  # fmt: skip
    return {(p.field, p.code) for p in caught.value.problems}


def test_each_problem_is_named_by_its_field() -> None:
    assert problems(form(threshold="43.5")) == {("threshold", "threshold_outside_range")}
    assert problems(form(threshold="39.5", plausible_max="39.0")) == {
        ("threshold", "threshold_outside_range")
    }
    assert problems(form(plausible_min="40", plausible_max="36")) == {
        ("plausible_max", "range_order")
    }
    assert ("threshold", "too_high") in problems(form(threshold="41", plausible_max="43"))
    assert problems(form(screening={"north-9": "soft"})) == {("screening", "unknown_gate")}
    assert problems(form(screening={"north-1": "medium"})) == {("screening.north-1", "bad_choice")}
    assert problems(form(gate_kinds={"north-1": ["alien"]})) == {
        ("gate_kinds.north-1", "unknown_kind")
    }
    assert problems(form(closed_gates=["south-9"])) == {("closed_gates", "unknown_gate")}
    assert problems(form(timezone="Mars/Olympus")) == {("timezone", "unknown_zone")}
    assert problems(form(fever=1)) == {("fever", "unknown_field")}
    assert problems(form(test_max_age_hours=0)) == {("test_max_age_hours", "too_low")}


def test_zone_hours_that_overlap_or_are_empty_are_named() -> None:
    night = {"gates": ["north-1"], "open_from": "21:00", "open_until": "08:00"}
    morning = {"gates": ["north-1"], "open_from": "07:00", "open_until": "09:00"}
    noon = {"gates": ["north-1"], "open_from": "11:00", "open_until": "13:00"}
    assert problems(form(zones={"night": night, "morning": morning})) == {
        ("zones.morning.gates", "zone_hours_overlap")  # 07:00-08:00 is in both
    }
    assert problems(form(zones={"night": night, "noon": noon})) == {
        ("zones.noon.gates", "gate_in_two_zones")
    }
    empty = {"gates": ["north-2"], "open_from": "08:00", "open_until": "08:00"}
    half = {"gates": ["south-2"], "open_from": "08:00", "open_until": ""}
    assert problems(form(zones={"a": empty, "b": half})) == {
        ("zones.a.open_until", "hours_empty"),
        ("zones.b.open_until", "hours_paired"),
    }
    assert problems(
        form(zones={"c": {"gates": ["north-2"], "open_from": "25:00", "open_until": "08:00"}})
    ) == {("zones.c.open_from", "bad_time")}


def test_hostile_text_is_refused_where_it_was_typed() -> None:
    hostile = '<script>alert("x")</script>'
    found = problems(form(zones={hostile: {"gates": ["north-1"]}}, screening={"a\x00b": "soft"}))
    assert (f"zones.{hostile}", "bad_name") in found
    assert ("screening.a\x00b", "bad_name") in found
    assert ("screening", "unknown_gate") in found
    long = "g" * 5000
    found = problems(form(closed_gates=[long]))
    assert {code for _field, code in found} <= {"unknown_gate", "bad_name"}
    for field, _code in found:
        assert len(field) < 100  # a problem never echoes a whole huge value


def test_huge_maps_are_refused_unread() -> None:
    many = {f"zone-{i}": {"gates": []} for i in range(65)}
    assert problems(form(zones=many)) == {("zones", "too_many")}
    gates = [f"g-{i}" for i in range(1001)]
    assert ("closed_gates", "too_many") in problems(form(closed_gates=gates))


def test_gates_the_current_policy_names_stay_valid() -> None:
    current = Policy(site=SITE, version=3, closed_gates=frozenset({"east-7"}))
    policy = check_policy(form(closed_gates=["east-7"]), site=SITE, current=current, gates=GATES)
    assert policy.closed_gates == {"east-7"}
    assert policy.version == 4


def test_the_change_is_listed_field_by_field() -> None:
    old = Policy(site=SITE)
    new = check_policy(
        form(threshold="37.5", gate_kinds={"north-2": ["staff", "student"]},
             zones={"teaching": {"gates": ["north-1"], "open_from": "07:00",
                                 "open_until": "22:00"}}),
        site=SITE, current=old, gates=GATES, kinds=KINDS,
    )  # fmt: skip
    found = {c.field: (c.old, c.new) for c in changes(old, new)}
    assert found == {
        "threshold": (Decimal("37.3"), Decimal("37.5")),
        "gate_kinds.north-2": (None, ["staff", "student"]),
        "zones.teaching.gates": (None, ["north-1"]),
        "zones.teaching.open_from": (None, time(7, 0)),
        "zones.teaching.open_until": (None, time(22, 0)),
    }


def test_a_save_against_a_stale_version_is_refused(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        first = save_policy(session, SITE, form(threshold="37.5"), base_version=0, by="a",
                            reason="clinic advice", now=NOW)  # fmt: skip
        # Another admin saves version 2 while the first still looks at version 1 ...
        save_policy(session, SITE, form(threshold="37.5", mask_required=False), base_version=1,
                    by="b", reason="no masks", now=NOW)  # fmt: skip
        # ... whose save of version 1's page is refused, not written over version 2.
        with pytest.raises(PolicyStale, match="now version 2, you edited version 1"):
            save_policy(session, SITE, form(threshold="37.0"), base_version=1, by="a",
                        reason="colder", now=NOW)  # fmt: skip
        with pytest.raises(PolicyInvalid, match="no_change"):
            save_policy(session, SITE, form(threshold="37.5", mask_required=False),
                        base_version=2, by="a", reason="same", now=NOW)  # fmt: skip
        row = session.scalars(
            select(AuditLogRow).where(AuditLogRow.action == "policy.edit").order_by(AuditLogRow.id)
        ).first()
        assert row is not None
        logged = (row.actor, row.target, json.loads(row.params_json))
    assert first.version == 1
    assert logged[:2] == ("a", f"{SITE} v1")
    assert logged[2]["reason"] == "clinic advice"
    assert logged[2]["changes"] == {}  # the first version: nothing before it


def test_a_level_over_a_hand_set_threshold_is_refused_until_confirmed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        change_policy(session=session, site=SITE, changes={"threshold": "37.5"}, by="dr-chen",
                      reason="clinic advice", now=NOW)  # fmt: skip
        with pytest.raises(LevelOverrides) as caught:
            switch_level(session=session, site=SITE, name="elevated", by="office",
                         reason="district cases", now=NOW)  # fmt: skip
        [override] = caught.value.overrides
        assert (override.field, override.hand_set, override.level_value) == (
            "threshold", Decimal("37.5"), Decimal("37.3"),
        )  # fmt: skip
        assert "threshold: hand-set 37.5, level elevated sets 37.3" in str(caught.value)
        switched = switch_level(
            session=session, site=SITE, name="elevated", by="office", reason="district cases",
            now=NOW, replace_hand_set=True,
        )  # fmt: skip
        row = session.scalars(
            select(AuditLogRow).where(AuditLogRow.action == "policy.level_switch")
        ).one()
        params = json.loads(row.params_json)
        # Back to a level: what the active level set is not hand-set, nothing to confirm.
        again = switch_level(session=session, site=SITE, name="lockdown", by="office",
                             reason="closed campus", now=NOW)  # fmt: skip
    assert switched.policy.threshold == Decimal("37.3")
    assert params["replaced_hand_set"] == [
        {"field": "threshold", "hand_set": "37.5", "level_value": "37.3"}
    ]
    assert again.policy.level == "lockdown"


def test_a_value_the_active_level_set_is_not_hand_set(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        define_level(session=session, site=SITE, by="o", now=NOW,
                     level=ResponseLevel(name="warm", threshold=Decimal("37.0")))  # fmt: skip
        switch_level(session=session, site=SITE, name="warm", by="o", reason="r", now=NOW)
        current = switch_level(session=session, site=SITE, name="normal", by="o", reason="r",
                               now=NOW).policy  # fmt: skip
        hot = ResponseLevel(name="hot", threshold=Decimal("37.6"), visitors_allowed=False)
        assert hand_set_overrides(session=session, site=SITE, current=current, level=hot) == []
        edited = current.model_copy(update={"visitors_allowed": False})
        found = hand_set_overrides(session=session, site=SITE, current=edited, level=hot)
        assert found == []  # the level sets what was typed: nothing is replaced
        lax = ResponseLevel(name="lax", visitors_allowed=True)
        [override] = hand_set_overrides(session=session, site=SITE, current=edited, level=lax)
    assert (override.field, override.hand_set, override.level_value) == (
        "visitors_allowed", False, True,
    )  # fmt: skip


def test_a_level_form_is_checked_and_saved_against_the_level_read(engine: Engine) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        check_level({"threshold": "44", "closed_gates": ["nowhere"], "colour": "red"},
                    name="red", current=Policy(site=SITE), gates=GATES)  # fmt: skip
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("threshold", "threshold_outside_range"),
        ("closed_gates", "unknown_gate"),
        ("colour", "unknown_field"),
    }
    with Session(engine) as session, session.begin():
        base, found = preview_level(session, SITE, "elevated", {"threshold": "37.0",
                                    "exit_quota": {"exits": 1, "window_hours": 48},
                                    "health_code_required": True}, gates=GATES)  # fmt: skip
        assert [c.field for c in found] == ["description", "threshold"]
        level = save_level(session, SITE, "elevated", {"threshold": "37.0"}, base=base, by="o",
                           reason="colder winter", now=NOW, gates=GATES)  # fmt: skip
        with pytest.raises(PolicyStale, match="response level elevated changed meanwhile"):
            save_level(session, SITE, "elevated", {"threshold": "37.1"}, base=base, by="p",
                       reason="stale page", now=NOW, gates=GATES)  # fmt: skip
    assert level.threshold == Decimal("37.0")
    assert base == level_token(ResponseLevel.model_validate(
        {"name": "elevated", "description": "epidemic watch: household exit quota, health code "
         "required", "exit_quota": {"exits": 1, "window_hours": 48},
         "health_code_required": True}))  # fmt: skip


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELD_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "threshold": st.decimals(30, 45, places=1).map(str) | JSON,
        "plausible_min": st.decimals(30, 45, places=1).map(str) | JSON,
        "screening": st.dictionaries(st.sampled_from([*GATES, "x y", "<b>"]),
                                     st.sampled_from(["hard", "soft", "bad"])) | JSON,
        "gate_kinds": st.dictionaries(st.sampled_from(sorted(GATES)),
                                      st.lists(st.sampled_from([*KINDS, "alien"]))) | JSON,
        "zones": st.dictionaries(st.text(max_size=10), st.fixed_dictionaries({
            "gates": st.lists(st.sampled_from(sorted(GATES)), max_size=3),
            "open_from": st.sampled_from([None, "", "07:00", "22:00", "9"]),
            "open_until": st.sampled_from([None, "", "07:00", "08:30"]),
        }), max_size=3) | JSON,
        "closed_gates": st.lists(st.sampled_from([*GATES, "nowhere"]), max_size=3) | JSON,
        "exit_quota": JSON,
        "timezone": st.sampled_from(["Asia/Shanghai", "UTC", "../../etc", "\x00"]) | JSON,
        "test_max_age_hours": JSON,
    },
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIELD_VALUES, st.dictionaries(st.text(max_size=8), JSON, max_size=2))
def test_any_form_payload_is_a_policy_or_problems_named_by_field(
    chosen: dict[str, Any], extra: dict[str, Any]
) -> None:
    values = {**form(), **chosen, **extra}
    refused: list[Any] = []
    try:
        policy = check_policy(values, site=SITE, current=Policy(site=SITE), gates=GATES,
                              kinds=KINDS)  # fmt: skip
    except PolicyInvalid as exc:
        refused = exc.problems
    if refused or "policy" not in locals():
        assert refused
        for problem in refused:
            assert problem.code in CODES, problem
            assert problem.field
            assert len(problem.field) < 200
        return
    # Accepted: a policy the decision core can hold, inside its plausible range.
    assert policy.plausible_min < policy.threshold < policy.plausible_max
    assert set(policy.closed_gates) <= GATES
    assert not set(values) - set(form())
