"""Follow-up flags from the database (services/cases/observed.py, services/reports/followup.py)
on SQLite and PostgreSQL: the clinic's measurements and the person's own check-ins are
the readings, another site's check-in is not, and a past day's report judges at its end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases import checkins
from services.cases.checkins import Slot
from services.cases.lifecycle import Actor, Measure, Observe, Origin
from services.cases.observed import follow_ups
from services.cases.service import act, open_case
from services.reports.followup import observation_followup
from services.storage.engine import make_engine
from services.storage.models import IsolationCaseRow, PersonRow

TZ = ZoneInfo("Asia/Shanghai")
NURSE = Actor("dr-wang", "clinic")
LIMITS = {"morning": time(10, 0), "noon": time(14, 30)}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        for person_id in ("S1", "S2"):
            s.add(PersonRow(person_id=person_id, name=f"N{person_id}", kind="student",
                            unit="Class 1", id_hash=f"h{person_id}", id_last4="0000",
                            updated_at=at(1, 8)))  # fmt: skip
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


def observed_case(session: Session) -> tuple[str, str]:
    """S1 observed from 3 Dec 08:00 to 5 Dec 08:00 with its 3 Dec readings taken (the
    morning by the clinic, the noon by S1's own check-in); S2 merely open."""
    s1, s2 = (session.get(PersonRow, p) for p in ("S1", "S2"))
    case, _new = open_case(session, "main", s1, origin=Origin.CLOSE_CONTACT, note="",
                           actor=NURSE, now=at(3, 7))  # fmt: skip
    other, _new = open_case(session, "main", s2, origin=Origin.MANUAL, note="", actor=NURSE,
                            now=at(3, 7))  # fmt: skip
    act(session, "main", case.case_id, Observe("room", at(3, 8), at(5, 8), "R1"), actor=NURSE,
        now=at(3, 8))  # fmt: skip
    act(session, "main", case.case_id, Measure(Decimal("36.9")), actor=NURSE, now=at(3, 9))
    checkins.record_checkin(session, "S1", "noon", Decimal("36.6"), by="S1", site="main",
                            now=at(3, 13), zone=TZ)  # fmt: skip
    # The same person's report at another site is another campus's business.
    checkins.record_checkin(session, "S1", "morning", Decimal("36.6"), by="S1", site="north",
                            now=at(4, 7), zone=TZ)  # fmt: skip
    session.flush()
    return case.case_id, other.case_id


def judged(session: Session, now: datetime) -> dict[str, tuple[list[str], bool]]:
    rows = list(session.scalars(select(IsolationCaseRow)))
    found = follow_ups(session=session, rows=rows, now=now, zone=TZ, deadlines=LIMITS)
    return {case_id: (f.missed_text(), f.end_passed) for case_id, f in found.items()}


def test_readings_from_the_clinic_and_check_ins_and_the_flags(session: Session) -> None:
    case_id, _other = observed_case(session)
    assert judged(session, at(3, 20)) == {case_id: ([], False)}
    assert judged(session, at(4, 15)) == {
        case_id: (["2026-12-04 morning", "2026-12-04 noon"], False)
    }
    assert judged(session, at(5, 9))[case_id][1] is True
    later = judged(session, at(5, 11))[case_id][0]  # the 5th's morning is due at 10:00
    assert later == ["2026-12-04 morning", "2026-12-04 noon", "2026-12-05 morning"]
    assert (date(2026, 12, 3), Slot.MORNING) not in [
        (date.fromisoformat(m.split()[0]), Slot(m.split()[1])) for m in later
    ]


def test_a_past_days_report_judges_at_the_end_of_that_day(session: Session) -> None:
    case_id, _other = observed_case(session)
    end_of = {d: datetime.combine(date(2026, 12, d), time.min, tzinfo=TZ) + timedelta(days=1)
              for d in (2, 4, 5)}  # fmt: skip
    now = at(7, 12)
    assert observation_followup(session, "main", end=end_of[2], now=now, zone=TZ,
                                deadlines=LIMITS) == []  # fmt: skip
    [line] = observation_followup(session, "main", end=end_of[4], now=now, zone=TZ,
                                  deadlines=LIMITS)  # fmt: skip
    assert (line.case_id, line.flags, line.missed) == (
        case_id, ["missed_reading"], ["2026-12-04 morning", "2026-12-04 noon"]
    )  # fmt: skip
    [line] = observation_followup(session, "main", end=end_of[5], now=now, zone=TZ,
                                  deadlines=LIMITS)  # fmt: skip
    assert line.flags == ["missed_reading", "end_passed"]
