"""Pairing scans with body readings: every rule with plain numbers, then properties."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.thermometer.frames import Reading
from gateway.pairing import Paired, Pairer, credential_for

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ID = "CG1.aaaa.bbbb"
HEALTH = "CG1.cccc.dddd"


def body(celsius: str) -> Reading:
    return Reading("body", "ir-0", Decimal(celsius), T0)


def test_scan_first_pairs_with_the_next_reading() -> None:
    pairer = Pairer(window_s=5)
    assert pairer.scan(ID, at=0.0) == []
    [paired] = pairer.reading(body("36.6"), at=1.0)
    assert paired == Paired((credential_for(ID),), body("36.6"), "paired")


def test_reading_first_pairs_with_the_peak_of_the_episode() -> None:
    pairer = Pairer(window_s=5)
    for at, celsius in ((0.0, "36.4"), (0.2, "37.4"), (0.4, "36.9")):
        assert pairer.reading(body(celsius), at=at) == []
    [paired] = pairer.scan(ID, at=1.0)
    assert paired.reading == body("37.4")
    assert paired.outcome == "paired"


def test_scan_without_reading_becomes_a_passage_without_temperature() -> None:
    pairer = Pairer(window_s=5)
    pairer.scan(ID, at=0.0)
    assert pairer.tick(4.9) == []
    assert pairer.next_deadline() == 5.0
    assert pairer.tick(5.0) == [Paired((credential_for(ID),), None, "no_reading")]
    assert pairer.next_deadline() is None


def test_reading_older_than_the_window_does_not_pair() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("36.5"), at=0.0)
    assert pairer.scan(ID, at=6.0) == []
    [paired] = pairer.reading(body("36.7"), at=7.0)
    assert paired.reading == body("36.7")


def test_empty_scene_readings_never_pair() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("24.0"), at=0.0)
    assert pairer.scan(ID, at=0.5) == []
    assert pairer.empty_scene_readings == 1
    assert pairer.tick(5.5)[0].outcome == "no_reading"


def test_a_triggered_sensors_next_measurement_pairs_with_the_next_scan() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("36.5"), at=0.0)
    [first] = pairer.scan(ID, at=0.5)
    pairer.reading(body("38.0"), at=2.0)  # the next person, measured before scanning
    [second] = pairer.scan(HEALTH, at=2.5)
    assert (first.reading, second.reading) == (body("36.5"), body("38.0"))


def test_a_used_reading_never_pairs_again() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("36.5"), at=0.0)
    pairer.scan(ID, at=0.5)
    assert pairer.scan(HEALTH, at=1.0) == []  # waits for a reading of its own
    [paired] = pairer.reading(body("36.9"), at=1.5)
    assert paired.reading == body("36.9")


def test_an_episode_pairs_once_even_if_the_person_stays() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("36.5"), at=0.0)
    assert len(pairer.scan(ID, at=0.1)) == 1
    for step in range(1, 20):  # the same person keeps standing at the sensor
        assert pairer.reading(body("36.5"), at=0.1 * step) == []
    assert pairer.tick(100.0) == []


def test_unscanned_fever_raises_a_passage_without_credentials() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("37.3"), at=0.0)
    pairer.reading(body("38.1"), at=1.0)
    assert pairer.tick(5.9) == []
    [paired] = pairer.tick(6.0)
    assert paired == Paired((), body("38.1"), "unscanned_fever")


def test_an_unscanned_fever_right_after_a_scanned_person_still_alerts() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("36.5"), at=0.0)
    assert len(pairer.scan(ID, at=0.2)) == 1
    pairer.reading(body("38.4"), at=1.0)  # the next person shows no code
    [paired] = pairer.tick(6.0)
    assert paired == Paired((), body("38.4"), "unscanned_fever")


def test_unscanned_normal_reading_is_dropped() -> None:
    pairer = Pairer(window_s=5)
    pairer.reading(body("37.2"), at=0.0)
    assert pairer.tick(10.0) == []


def test_two_codes_before_the_reading_travel_together() -> None:
    pairer = Pairer(window_s=5)
    pairer.scan(ID, at=0.0)
    pairer.scan(HEALTH, at=0.5)
    pairer.scan(ID, at=0.7)  # the same code again adds nothing
    [paired] = pairer.reading(body("36.6"), at=1.0)
    assert [c.data for c in paired.credentials] == [ID, HEALTH]


def test_gather_holds_a_complete_pair_for_a_second_code() -> None:
    pairer = Pairer(window_s=5, gather_s=1.0)
    pairer.reading(body("36.6"), at=0.0)
    assert pairer.scan(ID, at=0.2) == []
    assert pairer.scan(HEALTH, at=0.8) == []
    assert pairer.next_deadline() == pytest.approx(1.2)
    [paired] = pairer.tick(1.2)
    assert [c.data for c in paired.credentials] == [ID, HEALTH]


def test_credential_kinds() -> None:
    assert credential_for("CG1.x.y").kind == "qr"
    assert credential_for("2021001").kind == "card"


def test_only_body_readings_are_accepted() -> None:
    with pytest.raises(ValueError, match="body"):
        Pairer().reading(Reading("surface", "ir-0", Decimal("36.0"), T0), at=0.0)


@pytest.mark.parametrize(("window", "gather"), [(0, 0), (5, -1), (5, 5)])
def test_bad_windows_are_refused(window: float, gather: float) -> None:
    with pytest.raises(ValueError, match="window"):
        Pairer(window_s=window, gather_s=gather)


events = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=3, allow_nan=False),
        st.one_of(
            st.sampled_from(["CG1.a.1", "CG1.b.2", "CG1.c.3", "77001"]),
            st.decimals(min_value=20, max_value=42, places=1),
        ),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(events)
def test_nothing_is_lost_or_used_twice(stream: list[tuple[float, str | Decimal]]) -> None:
    pairer = Pairer(window_s=2.0, gather_s=0.5)
    at = 0.0
    out: list[Paired] = []
    scans = 0
    for gap, item in stream:
        at += gap
        if isinstance(item, str):
            scans += 1
            out += pairer.scan(item, at)
        else:
            out += pairer.reading(body(str(item)), at)
    out += pairer.tick(at + 1000)
    assert pairer.next_deadline() is None
    used = [id(p.reading) for p in out if p.reading is not None]
    assert len(used) == len(set(used)), "a reading went into two passages"
    # Every scan is in exactly one passage (repeats inside one passage fold into one).
    carried = sum(len(p.credentials) for p in out)
    assert carried <= scans
    assert all(len({c.data for c in p.credentials}) == len(p.credentials) for p in out)
    assert (carried == 0) == (scans == 0)
    for p in out:
        if p.outcome == "paired":
            assert p.reading is not None
            assert p.credentials
        elif p.outcome == "no_reading":
            assert p.reading is None
            assert p.credentials
        else:
            assert p.reading is not None
            assert p.reading.celsius >= Decimal("37.3")
            assert not p.credentials
        if p.reading is not None:
            assert p.reading.celsius >= pairer.presence_min


def test_a_lane_that_never_goes_quiet_does_not_grow() -> None:
    import tracemalloc

    pairer = Pairer(window_s=5)
    readings = [body(f"36.{i % 10}") for i in range(20_000)]  # made before measuring
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index, reading in enumerate(readings):  # a reading every 0.1 s for 33 minutes
            pairer.reading(reading, at=index * 0.1)
            if index % 50 == 0:
                pairer.scan(f"CG1.p{index}.s", at=index * 0.1)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"pairing state grew by {grown} bytes"
