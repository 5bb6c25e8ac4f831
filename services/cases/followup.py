"""Follow-up of a case under observation: pure, no I/O, the clock handed in.

A person under observation has their temperature taken twice a day, morning and
noon (每天晨午检两次体温检测).  Two things need the clinic's eye (issue 17):

- ``missed_reading``: a day's morning or noon reading is absent once that slot's
  deadline has passed, the same deadlines as the daily check-in (10:00 and 14:30 by
  default, the site's local time).  A slot counts from the start of the observation:
  one whose deadline came before it was not due.
- ``end_passed``: the planned end of the observation has passed and nobody has
  released the case (or moved it on).

A reading is a clinical measurement of the case (``remeasured`` on its timeline),
placed by its local time (before noon: the morning's, from noon on: the noon's), or
one of the person's own daily check-ins, which say their slot.  Days are the site's
local dates, never UTC ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.cases.checkins import DEADLINES, Slot

MISSED_READING = "missed_reading"
END_PASSED = "end_passed"
FLAGS = (MISSED_READING, END_PASSED)
AFTERNOON_FROM = time(12, 0)
"""A measurement from this local time on is the day's noon (afternoon) reading."""


@dataclass(frozen=True, slots=True)
class Observation:
    start: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Measured:
    """A clinical reading taken at ``at``."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Reported:
    """A daily check-in of the person: its local day and slot."""

    day: date
    slot: Slot


Reading = Measured | Reported


@dataclass(frozen=True, slots=True)
class FollowUp:
    missed: tuple[tuple[date, Slot], ...]  # oldest first
    end_passed: bool

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(
            flag
            for flag, on in ((MISSED_READING, bool(self.missed)), (END_PASSED, self.end_passed))
            if on
        )

    def missed_text(self) -> list[str]:
        return [f"{day.isoformat()} {slot.value}" for day, slot in self.missed]


NOTHING = FollowUp((), False)


def placed(reading: Reading, zone: ZoneInfo) -> tuple[date, Slot]:
    """The local day and slot a reading stands for."""
    if isinstance(reading, Reported):
        return reading.day, reading.slot
    local = reading.at.astimezone(zone)
    return local.date(), Slot.MORNING if local.time() < AFTERNOON_FROM else Slot.NOON


def due_slots(
    observation: Observation, *, now: datetime, zone: ZoneInfo, deadlines: Mapping[str, time]
) -> list[tuple[date, Slot]]:
    """Every (day, slot) whose deadline lies between the start of observation and ``now``."""
    day, last = observation.start.astimezone(zone).date(), now.astimezone(zone).date()
    due = []
    while day <= last:
        for slot in Slot:
            deadline = datetime.combine(day, deadlines[slot.value], tzinfo=zone)
            if observation.start <= deadline <= now:
                due.append((day, slot))
        day += timedelta(days=1)
    return due


def follow_up(
    observation: Observation,
    readings: Iterable[Reading],
    *,
    now: datetime,
    zone: ZoneInfo,
    deadlines: Mapping[str, time] = DEADLINES,
) -> FollowUp:
    """The flags of a case under ``observation`` at ``now``, given its ``readings``."""
    have = {placed(r, zone) for r in readings}
    due = due_slots(observation, now=now, zone=zone, deadlines=deadlines)
    missed = tuple(slot for slot in due if slot not in have)
    return FollowUp(missed, now >= observation.until)
