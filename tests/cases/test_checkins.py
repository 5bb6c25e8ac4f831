"""The daily check-in (晨午检) on SQLite and PostgreSQL: reports, cases, missing per unit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases import checkins
from services.cases.lifecycle import CaseRefused
from services.cases.service import CaseNotFound
from services.storage.engine import make_engine
from services.storage.health_models import CheckinRow
from services.storage.models import IsolationCaseRow, PersonRow

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 12, 3, 7, 30, tzinfo=TZ).astimezone(UTC)
DAY = date(2026, 12, 3)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        people = [("S1", "Class 1"), ("S2", "Class 1"), ("S3", "Class 2"), ("T1", "Physics")]
        for person_id, unit in people:
            kind = "staff" if person_id.startswith("T") else "student"
            s.add(PersonRow(person_id=person_id, name=f"N{person_id}", kind=kind, unit=unit,
                            id_hash=f"h{person_id}", id_last4="0000",
                            updated_at=MORNING))  # fmt: skip
        s.add(PersonRow(person_id="V1", name="Visitor", kind="visitor", unit="Class 1",
                        id_hash="hV1", id_last4="0000", updated_at=MORNING))  # fmt: skip
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


def record(session: Session, person: str, slot: str, celsius: str, *symptoms: str,
           when: datetime = MORNING) -> checkins.CheckinResult:  # fmt: skip
    return checkins.record_checkin(session, person, slot, Decimal(celsius), symptoms,
                                   by="teacher-li", site="main", now=when, zone=TZ)  # fmt: skip


def test_normal_reports_open_nothing_and_a_second_report_corrects_the_first(
    session: Session,
) -> None:
    done = record(session, "S1", "morning", "36.5")
    assert (done.day, done.case_id, done.new_case) == (DAY, None, False)
    record(session, "S1", "morning", "36.6")
    rows = session.scalars(select(CheckinRow)).all()
    assert [(r.person_id, r.slot, str(r.celsius), r.by) for r in rows] == [
        ("S1", "morning", "36.60", "teacher-li")
    ]
    assert session.scalars(select(IsolationCaseRow)).all() == []


def test_over_the_threshold_or_with_symptoms_opens_a_case_once(session: Session) -> None:
    hot = record(session, "S2", "morning", "37.3")  # the threshold itself counts (inclusive)
    assert hot.case_id is not None
    assert hot.new_case
    cough = record(session, "S2", "noon", "36.6", "cough")
    assert (cough.case_id, cough.new_case) == (hot.case_id, False)  # joins the open case
    case = session.scalars(select(IsolationCaseRow)).one()
    assert (case.origin, case.person_id, case.opened_by, str(case.celsius)) == (
        "checkin", "S2", "teacher-li", "37.30"
    )  # fmt: skip
    assert case.note == "morning 37.3 °C"


@pytest.mark.parametrize("celsius", ["150", "33.9", "43.1", "-1"])
def test_an_implausible_reading_is_refused(session: Session, celsius: str) -> None:
    with pytest.raises(CaseRefused, match="implausible_reading"):
        record(session, "S1", "morning", celsius)
    assert session.scalars(select(CheckinRow)).all() == []


def test_unknown_people_and_slots_are_refused(session: Session) -> None:
    with pytest.raises(CaseNotFound):
        record(session, "S404", "morning", "36.5")
    with pytest.raises(ValueError, match="evening"):
        record(session, "S1", "evening", "36.5")


def test_missing_reports_per_unit_and_the_deadline(session: Session) -> None:
    record(session, "S1", "morning", "36.5")
    record(session, "T1", "noon", "36.5")
    missing = checkins.missing(session, "main", day=DAY, slot="morning")
    assert {unit: [p.person_id for p in people] for unit, people in missing.items()} == {
        "Class 1": ["S2"],
        "Class 2": ["S3"],
        "Physics": ["T1"],
    }  # visitors are not expected to report
    noon = checkins.missing(session, "main", day=DAY, slot="noon")
    assert sum(len(p) for p in noon.values()) == 3
    assert not checkins.overdue(DAY, "morning", now=MORNING, zone=TZ)
    late = datetime.combine(DAY, time(10, 0), tzinfo=TZ)
    assert checkins.overdue(DAY, "morning", now=late, zone=TZ)
    assert not checkins.overdue(DAY, "morning", now=late,
                                zone=TZ, deadlines={"morning": time(11, 0)})  # fmt: skip
    sheet = checkins.sheet(session, "main", unit="Class 1", day=DAY)
    assert [(r.person_id, r.morning is not None, r.noon is not None) for r in sheet] == [
        ("S1", True, False),
        ("S2", False, False),
    ]
    assert checkins.units(session) == ["Class 1", "Class 2", "Physics"]
