"""The follow-up flags of a case under observation (services/cases/followup.py): a table of
cases, then properties over any observation, readings and clock (local dates throughout)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.cases.checkins import DEADLINES, Slot
from services.cases.followup import (
    END_PASSED,
    MISSED_READING,
    Measured,
    Observation,
    Reading,
    Reported,
    due_slots,
    follow_up,
    placed,
)

ZONE = ZoneInfo("Asia/Shanghai")
M, N = Slot.MORNING, Slot.NOON


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December ``day`` 2026, site time (UTC+8)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


OBS = Observation(local(3, 8), local(5, 8))  # from 3 Dec 08:00 to 5 Dec 08:00

TABLE: list[tuple[str, Observation, list[Reading], datetime, list[tuple[int, Slot]], bool]] = [
    ("before the first deadline nothing is due", OBS, [], local(3, 9, 59), [], False),
    ("the morning is due at its deadline", OBS, [], local(3, 10), [(3, M)], False),
    ("a morning measurement covers it", OBS, [Measured(local(3, 9))], local(3, 11), [], False),
    ("a late morning reading, before noon, still counts", OBS, [Measured(local(3, 11, 30))],
     local(3, 12), [], False),
    ("a reading after noon is the noon one", OBS, [Measured(local(3, 13))], local(3, 15),
     [(3, M)], False),
    ("both taken", OBS, [Measured(local(3, 9)), Measured(local(3, 14))], local(3, 23), [], False),
    ("the person's own check-ins count", OBS,
     [Reported(date(2026, 12, 3), M), Reported(date(2026, 12, 3), N)], local(3, 23), [], False),
    ("one missing noon, found the next morning", OBS, [Measured(local(3, 9))], local(4, 9),
     [(3, N)], False),
    ("a slot due before the observation began is not asked for",
     Observation(local(3, 11), local(6, 0)), [], local(3, 14, 29), [], False),
    ("the planned end passes without release", OBS,
     [Measured(local(d, h)) for d in (3, 4, 5) for h in (9, 14)], local(5, 8), [], True),
    ("missed and overdue together", OBS, [], local(5, 9),
     [(3, M), (3, N), (4, M), (4, N)], True),
    # 05:00 UTC is 13:00 in Shanghai: the noon reading, though it is morning in UTC.
    ("local time, not UTC", OBS, [Measured(local(3, 9)),
                                  Measured(datetime(2026, 12, 3, 5, 0, tzinfo=UTC))],
     local(3, 15), [], False),
    # 23:30 UTC on the 3rd is 07:30 on the 4th in Shanghai: the 4th's morning.
    ("a UTC evening is the next local morning", OBS,
     [Measured(datetime(2026, 12, 3, 23, 30, tzinfo=UTC)), Measured(local(3, 9)),
      Measured(local(3, 14))], local(4, 10, 30), [], False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("why", "observation", "readings", "now", "missed", "end_passed"),
    TABLE,
    ids=[row[0] for row in TABLE],
)
def test_flags(
    why: str,
    observation: Observation,
    readings: list[Reading],
    now: datetime,
    missed: list[tuple[int, Slot]],
    end_passed: bool,
) -> None:
    found = follow_up(observation, readings, now=now, zone=ZONE)
    assert found.missed == tuple((date(2026, 12, d), s) for d, s in missed), why
    assert found.end_passed is end_passed, why
    expected = [f for f, on in ((MISSED_READING, missed), (END_PASSED, end_passed)) if on]
    assert list(found.flags) == expected


def test_other_deadlines_move_the_flags() -> None:
    late = {"morning": time(11, 0), "noon": time(16, 0)}
    assert follow_up(OBS, [], now=local(3, 10, 30), zone=ZONE, deadlines=late).missed == ()
    assert follow_up(OBS, [], now=local(3, 10, 30), zone=ZONE).missed == ((date(2026, 12, 3), M),)


# -- properties ---------------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=20 * 24 * 60).map(
    lambda m: START + timedelta(minutes=m)
)
ZONES = ("Asia/Shanghai", "UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago")
zones = st.sampled_from([ZoneInfo(z) for z in ZONES])
observations = st.tuples(moments, st.integers(min_value=1, max_value=15 * 24 * 60)).map(
    lambda p: Observation(p[0], p[0] + timedelta(minutes=p[1]))
)
reading = st.one_of(
    moments.map(Measured),
    st.tuples(moments, st.sampled_from(list(Slot))).map(lambda p: Reported(p[0].date(), p[1])),
)
readings = st.lists(reading, max_size=30)


@given(observations, readings, moments, zones)
def test_every_missed_slot_was_due_and_has_no_reading(
    observation: Observation, got: list[Reading], now: datetime, zone: ZoneInfo
) -> None:
    found = follow_up(observation, got, now=now, zone=zone)
    have = {placed(r, zone) for r in got}
    for day, slot in found.missed:
        deadline = datetime.combine(day, DEADLINES[slot.value], tzinfo=zone)
        assert observation.start <= deadline <= now
        assert (day, slot) not in have
    assert found.end_passed == (now >= observation.until)


@given(observations, readings, reading, moments, zones)
def test_another_reading_never_adds_a_missed_slot(
    observation: Observation, got: list[Reading], more: Reading, now: datetime, zone: ZoneInfo
) -> None:
    before = set(follow_up(observation, got, now=now, zone=zone).missed)
    after = set(follow_up(observation, [*got, more], now=now, zone=zone).missed)
    assert after <= before
    assert before - after <= {placed(more, zone)}


@given(observations, readings, moments, st.integers(min_value=0, max_value=3 * 24 * 60), zones)
def test_time_never_takes_a_flag_back(
    observation: Observation, got: list[Reading], now: datetime, later: int, zone: ZoneInfo
) -> None:
    then = now + timedelta(minutes=later)
    early = follow_up(observation, got, now=now, zone=zone)
    late = follow_up(observation, got, now=then, zone=zone)
    assert set(early.missed) <= set(late.missed)
    assert late.end_passed or not early.end_passed


@given(observations, moments, zones)
def test_a_reading_in_every_due_slot_leaves_nothing_missed(
    observation: Observation, now: datetime, zone: ZoneInfo
) -> None:
    due = due_slots(observation, now=now, zone=zone, deadlines=DEADLINES)
    got = [Reported(day, slot) for day, slot in due]
    assert follow_up(observation, got, now=now, zone=zone).missed == ()
    assert len(set(due)) == len(due)  # each slot once, oldest first
    assert due == sorted(due, key=lambda p: (p[0], list(Slot).index(p[1])))
