"""Wire messages: the design's examples parse, bad payloads fail with ValidationError only."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import export
from schemas.messages import MESSAGE_MODELS, Decision, GateStatus, Passage, PolicyAnnouncement

DESIGN_PASSAGE = {
    "v": 1,
    "event_id": "0193f3c2-7b1e-7c4a-9d1e-2f9a8b7c6d5e",
    "site": "main",
    "gate": "north-1",
    "direction": "in",
    "ts": "2026-11-22T08:00:00.123Z",
    "credentials": [{"kind": "qr", "data": "CG1.eyJ...sig"}],
    "temperature": {"celsius": 36.6, "sensor": "ir-0", "measured_at": "2026-11-22T08:00:00.050Z"},
    "mask": True,
    "vehicle": None,
    "recheck_of": None,
    "local_decision": None,
}


def test_design_example_round_trips_byte_for_byte_in_meaning() -> None:
    passage = Passage.model_validate_json(json.dumps(DESIGN_PASSAGE))
    assert passage.temperature is not None
    assert passage.temperature.celsius == Decimal("36.6")
    assert json.loads(passage.model_dump_json()) == DESIGN_PASSAGE


def test_temperatures_are_json_numbers_on_the_wire() -> None:
    passage = Passage.model_validate(DESIGN_PASSAGE)
    assert '"celsius":36.6' in passage.model_dump_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"v": 2}, "v"),
        ({"gate": "North 1"}, "gate"),
        ({"site": ""}, "site"),
        ({"direction": "sideways"}, "direction"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"ts": "2026-11-22T08:00:00"}, "ts"),  # naive time: whose clock?
        ({"credentials": [{"kind": "qr", "data": ""}]}, "credentials"),
        ({"credentials": [{"kind": "qr", "data": "x" * 5000}]}, "credentials"),
        ({"temperature": {"celsius": "hot", "sensor": "ir", "measured_at": "2026-11-22T08:00Z"}},
         "temperature"),
        ({"extra": 1}, "extra"),
        ({"local_decision": "maybe"}, "local_decision"),
    ],
)  # fmt: skip
def test_bad_passages_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Passage.model_validate({**DESIGN_PASSAGE, **change})
    assert field in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@given(st.sampled_from(list(MESSAGE_MODELS.values())), json_values)
def test_arbitrary_json_raises_only_validation_error(model: type, value: object) -> None:
    with contextlib.suppress(ValidationError):
        model.model_validate_json(json.dumps(value))


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_validation_error(raw: bytes) -> None:
    with contextlib.suppress(ValidationError):
        Passage.model_validate_json(raw)


def test_policy_threshold_bounds() -> None:
    base = {"site": "main", "version": 1, "published_at": "2026-11-22T08:00:00Z"}
    assert PolicyAnnouncement.model_validate({**base, "threshold": 37.3}).threshold == Decimal(
        "37.3"
    )
    with pytest.raises(ValidationError):
        PolicyAnnouncement.model_validate({**base, "threshold": 42})


def test_other_messages_parse() -> None:
    Decision.model_validate(
        {"event_id": DESIGN_PASSAGE["event_id"], "gate": "north-1", "decision": "isolate",
         "reasons": ["fever"], "celsius": 38.1, "policy_version": 3,
         "decided_at": "2026-11-22T08:00:00.200Z"}
    )  # fmt: skip
    GateStatus.model_validate(
        {"site": "main", "gate": "north-1", "online": False, "ts": "2026-11-22T08:00:00Z"}
    )


def test_exported_json_schemas_are_in_sync_with_the_models() -> None:
    for file_name, text in export.render_all().items():
        path = export.JSON_DIR / file_name
        assert path.exists(), f"{file_name} missing: run `make schemas`"
        assert path.read_text(encoding="utf-8") == text, f"{file_name} stale: run `make schemas`"
    committed = {p.name for p in export.JSON_DIR.glob("*.json")}
    assert committed == set(export.render_all())


def test_a_vehicle_command_and_only_it_carries_a_vehicle() -> None:
    from schemas.messages import Command

    base = {
        "command_id": "0193f3c2-7b1e-7c4a-9d1e-2f9a8b7c6d5e",
        "site": "main",
        "gate": "north-1",
        "issued_by": "guard-n1",
        "ts": "2026-11-22T08:00:00Z",
    }
    car = {"plate": "京A12345", "occupants": 3}
    announced = Command.model_validate({**base, "command": "vehicle", "vehicle": car})
    assert announced.vehicle is not None
    assert announced.vehicle.occupants == 3
    assert "vehicle" not in Command.model_validate({**base, "command": "sync"}).model_dump()
    for bad in (
        {**base, "command": "vehicle"},
        {**base, "command": "open", "vehicle": car},
        {**base, "command": "vehicle", "vehicle": {**car, "occupants": 0}},
        {**base, "command": "vehicle", "vehicle": {**car, "plate": "A\nB"}},
    ):
        with pytest.raises(ValidationError):
            Command.model_validate(bad)


def test_a_passage_entered_by_a_guard_names_a_person_by_a_manual_credential() -> None:
    from schemas.messages import Passage

    base = {
        "event_id": "0193f3c2-7b1e-7c4a-9d1e-2f9a8b7c6d5e",
        "site": "main",
        "gate": "north-1",
        "direction": "in",
        "ts": "2026-11-22T08:00:00Z",
        "credentials": [{"kind": "manual", "data": "S00001"}],
    }
    passage = Passage.model_validate({**base, "entered_by": "guard-n1"})
    assert passage.entered_by == "guard-n1"
    assert "entered_by" not in Passage.model_validate(base).model_dump_json()
    for bad in (
        {**base, "credentials": [{"kind": "qr", "data": "CG1.x"}], "entered_by": "guard-n1"},
        {**base, "entered_by": ""},
        {**base, "entered_by": "g" * 65},
    ):
        with pytest.raises(ValidationError):
            Passage.model_validate(bad)


def test_an_override_reopens_a_passage_admitted_at_the_gate() -> None:
    from schemas.messages import Passage

    base = {
        "event_id": "0193f3c2-7b1e-7c4a-9d1e-2f9a8b7c6d5e",
        "site": "main",
        "gate": "north-1",
        "direction": "in",
        "ts": "2026-11-22T08:00:00Z",
        "credentials": [{"kind": "qr", "data": "CG1.x"}],
    }
    override = {"by": "guard-n1", "reason": "ambulance crew"}
    recheck = {"recheck_of": "0193f3c2-7b1e-7c4a-9d1e-2f9a8b7c6d5f", "local_decision": "admit"}
    passage = Passage.model_validate({**base, **recheck, "override": override})
    assert passage.override is not None
    assert "override" not in Passage.model_validate(base).model_dump()
    for bad in (
        {**base, "override": override},  # overrides nothing
        {**base, **recheck, "local_decision": "deny", "override": override},
        {**base, **recheck, "override": {**override, "reason": "ok"}},  # too short
        {**base, **recheck, "override": {**override, "reason": "line\nbreak"}},
    ):
        with pytest.raises(ValidationError):
            Passage.model_validate(bad)
