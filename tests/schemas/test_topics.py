"""Topics: built and parsed in one place, names validated, wildcards matched."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import topics
from schemas.topics import GateChannel, GateTopic, SiteChannel, SiteTopic, TopicError

names = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")


def test_gate_topic_round_trip() -> None:
    text = topics.gate_topic("main", "north-1", GateChannel.PASSAGE)
    assert text == "campusgate/v1/main/gate/north-1/passage"
    assert topics.parse(text) == GateTopic("main", "north-1", GateChannel.PASSAGE)


def test_site_topics() -> None:
    assert topics.site_topic("main", SiteChannel.FEVER_ALERT) == "campusgate/v1/main/alert/fever"
    assert topics.parse("campusgate/v1/main/policy") == SiteTopic("main", SiteChannel.POLICY)


@given(names, names, st.sampled_from(list(GateChannel)))
def test_every_valid_name_round_trips(site: str, gate: str, channel: GateChannel) -> None:
    assert topics.parse(topics.gate_topic(site, gate, channel)) == GateTopic(site, gate, channel)


@pytest.mark.parametrize(
    "bad",
    ["", "Main", "-main", "a" * 33, "ma in", "main/x", "+", "#", "主校区", "main\x00"],
)
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(TopicError):
        topics.gate_topic(bad, "north-1", GateChannel.PASSAGE)
    with pytest.raises(TopicError):
        topics.gate_topic("main", bad, GateChannel.PASSAGE)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "campusgate/v2/main/policy",
        "campusgate/v1/main/gate/north-1/unknown",
        "campusgate/v1/main/gate/north-1",
        "campusgate/v1/main/gate/North/passage",
        "campusgate/v1/main/gate/north-1/passage/extra",
        "campusgate/v1/main/alert",
        "other/v1/main/policy",
        "campusgate/v1/" + "x" * 300,
    ],
)
def test_parse_rejects_foreign_topics(bad: str) -> None:
    with pytest.raises(TopicError):
        topics.parse(bad)


@given(st.text(max_size=120))
def test_parse_raises_only_topic_error(text: str) -> None:
    with contextlib.suppress(TopicError):
        topics.parse(text)


def test_filters_and_matching() -> None:
    passages = topics.gate_filter("main", GateChannel.PASSAGE)
    assert passages == "campusgate/v1/main/gate/+/passage"
    assert topics.matches(passages, "campusgate/v1/main/gate/north-1/passage")
    assert not topics.matches(passages, "campusgate/v1/main/gate/north-1/decision")
    assert not topics.matches(passages, "campusgate/v1/other/gate/north-1/passage")
    assert topics.matches(topics.everything("main"), "campusgate/v1/main/alert/fever")
    assert topics.matches(topics.everything(), "campusgate/v1/x/policy")
    assert topics.matches("campusgate/v1/main/#", "campusgate/v1/main")
    assert not topics.matches("+/v1", "$SYS/v1")
    shared = topics.shared(passages)
    assert shared == "$share/central/campusgate/v1/main/gate/+/passage"
    assert topics.matches(shared, "campusgate/v1/main/gate/south-2/passage")
    one = topics.gate_filter(None, GateChannel.STATUS, gate="north-1")
    assert topics.matches(one, "campusgate/v1/any/gate/north-1/status")
    assert not topics.matches(one, "campusgate/v1/any/gate/north-2/status")
