"""Intake: every malformed message becomes a Rejection with a reason; nothing raises."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.messages import Passage
from services.central.intake import (
    MAX_PAYLOAD_BYTES,
    MAX_REASON_CHARS,
    Rejection,
    read_passage,
)
from tests.fixtures.decision import passage

TOPIC = "campusgate/v1/main/gate/north-1/passage"


def _payload(**changes: object) -> bytes:
    document = json.loads(passage().model_dump_json())
    document.update(changes)
    return json.dumps(document).encode()


def test_good_passage_is_read() -> None:
    assert isinstance(read_passage(TOPIC, _payload()), Passage)


@pytest.mark.parametrize(
    ("topic", "payload", "reason_part", "answerable"),
    [
        (TOPIC, b"\xff\xfe garbage", "invalid passage", False),
        (TOPIC, b"[]", "invalid passage", False),
        (TOPIC, b"{}", "invalid passage", False),
        (TOPIC, b"x" * (MAX_PAYLOAD_BYTES + 1), "exceeds", False),
        (TOPIC, _payload(celsius="hot", temperature={"celsius": "hot"}), "invalid passage", True),
        (TOPIC, _payload(gate="south-2"), "topic says", True),
        (TOPIC, _payload(site="other"), "topic says", True),
        ("campusgate/v1/main/gate/north-1/decision", _payload(), "not a passage topic", False),
        ("campusgate/v1/main/gate/NORTH/passage", _payload(), "bad topic", False),
        ("elsewhere/passage", _payload(), "bad topic", False),
    ],
)
def test_rejections_carry_a_reason(
    topic: str, payload: bytes, reason_part: str, answerable: bool
) -> None:
    result = read_passage(topic, payload)
    assert isinstance(result, Rejection)
    assert reason_part in result.reason
    assert (result.event_id is not None) is answerable
    if answerable:
        assert (result.site, result.gate) == ("main", "north-1")


def test_other_sites_are_not_served() -> None:
    result = read_passage(TOPIC.replace("/main/", "/east/"), _payload(site="east"), site="main")
    assert isinstance(result, Rejection)
    assert "not served" in result.reason


def test_reasons_are_bounded() -> None:
    huge = _payload(credentials=[{"kind": "nope", "data": "x" * 3000}] * 8)
    result = read_passage(TOPIC, huge)
    assert isinstance(result, Rejection)
    assert len(result.reason) <= 500


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    assert isinstance(read_passage(TOPIC, payload), Rejection)


@given(st.text(max_size=80), st.binary(max_size=50))
def test_arbitrary_topics_never_raise(topic: str, payload: bytes) -> None:
    result = read_passage(topic, payload)
    # 50 bytes hold no valid passage, so every message is refused, and with a reason.
    assert isinstance(result, Rejection)
    assert 0 < len(result.reason) <= MAX_REASON_CHARS


@given(
    st.dictionaries(
        st.sampled_from(["event_id", "site", "gate", "ts", "credentials", "temperature", "v"]),
        st.none()
        | st.integers()
        | st.text(max_size=10)
        | st.just(str(uuid.uuid4()))
        | st.sampled_from(["main", "north-1", "south-2"]),  # names that pass, topic or not
    )
)
def test_broken_fields_never_raise(changes: dict[str, object]) -> None:
    payload = _payload(**changes)
    result = read_passage(TOPIC, payload)
    try:
        valid: Passage | None = Passage.model_validate_json(payload)
    except ValidationError:
        valid = None
    if valid is not None and (valid.site, valid.gate) == ("main", "north-1"):
        assert result == valid  # a change that leaves a valid passage is read as one
        return
    # Anything else is refused with a reason, answerable when its event_id is readable.
    assert isinstance(result, Rejection)
    assert 0 < len(result.reason) <= MAX_REASON_CHARS
    if valid is not None:
        assert result.event_id == valid.event_id
