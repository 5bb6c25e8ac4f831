"""The health census against a constructed day: every figure counted by hand beforehand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from services.cases import checkins
from services.cases.lifecycle import Actor, Confirm, Observe, Origin, Refer, Release
from services.cases.service import act, open_case
from services.reports.census_render import clinic_report
from services.reports.daily import DailyReport, daily_report
from services.reports.render import write_report
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.health_models import CensusDayRow, IncidentRow
from services.storage.models import PersonRow
from services.storage.records import EntryRecord

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
SITE = "main"
NURSE = Actor("nurse", "clinic")


def at(day: date, hour: float) -> datetime:
    return (
        datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=hour)
    ).astimezone(UTC)


def entry(ts: datetime, direction: str, decision: str, reasons: str = "") -> EntryRecord:
    event = uuid.uuid4()
    return EntryRecord(event_id=event, site=SITE, gate="north-1", direction=direction, ts=ts,
                       received_at=ts, decided_at=ts, person_id=None, decision=decision,
                       reasons=tuple(r for r in reasons.split(",") if r), celsius=Decimal("36.5"),
                       policy_version=0, local_decision=None, recheck_of=None, case_id=None,
                       passage_json="{}", decision_json="{}", kind="student")  # fmt: skip


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        people = [("A1", "A"), ("A2", "A"), ("A3", "A"), ("B1", "B"), ("B2", "B")]
        for person_id, unit in people:
            s.add(PersonRow(person_id=person_id, name=person_id, kind="student", unit=unit,
                            id_hash=f"h{person_id}", id_last4="0000",
                            updated_at=at(DAY, -30)))  # fmt: skip
        s.add(PersonRow(person_id="V1", name="V1", kind="visitor", unit="A", id_hash="hV",
                        id_last4="0000", updated_at=at(DAY, -30)))  # fmt: skip
        build(s)
    with Session(engine) as s:
        yield s
    engine.dispose()


def build(s: Session) -> None:
    before = DAY - timedelta(days=1)
    # The day before: 5 in, 1 out admitted, 1 denied in: 4 on campus at its end.
    records = [entry(at(before, 8 + i), "in", "admit") for i in range(5)]
    records += [entry(at(before, 18), "out", "admit"), entry(at(before, 9), "in", "deny")]
    # The day: 3 in and 2 out admitted; a denial and a fever (isolate) do not count: net +1.
    records += [entry(at(DAY, 7 + i), "in", "admit") for i in range(3)]
    records += [entry(at(DAY, 12), "out", "admit"), entry(at(DAY, 17), "out", "admit")]
    records += [
        entry(at(DAY, 8), "in", "deny", "no_mask"),
        entry(at(DAY, 9), "in", "isolate", "fever"),
    ]
    records.append(entry(at(DAY + timedelta(days=1), 1), "in", "admit"))  # the next day
    repo.insert_entries(session=s, records=records)
    people = {p.person_id: p for p in s.query(PersonRow)}

    def opened(person: str, origin: Origin, when: datetime) -> str:
        row, _new = open_case(s, SITE, people[person], origin=origin, note="", actor=None,
                              now=when)  # fmt: skip
        return row.case_id

    # Before the day: one under observation since, one confirmed and released on the day
    # (suspended at its end), one released the day before (not counted on the day).
    watched = opened("A1", Origin.FEVER, at(before, 9))
    act(
        s,
        SITE,
        watched,
        Observe("room", at(before, 10), at(DAY, 240), "R1"),
        actor=NURSE,
        now=at(before, 10),
    )
    sick = opened("A2", Origin.CLOSE_CONTACT, at(before, 11))
    act(s, SITE, sick, Confirm("PCR"), actor=NURSE, now=at(before, 12))
    act(s, SITE, sick, Release("discharged"), actor=NURSE, now=at(DAY, 15))
    done = opened("A3", Origin.FEVER, at(before, 13))
    act(s, SITE, done, Release("normal"), actor=NURSE, now=at(before, 14))
    # On the day: a fever referred to hospital, symptoms (pending), a close contact (suspected).
    fever = opened("A3", Origin.FEVER, at(DAY, 9))
    act(s, SITE, fever, Refer("City No. 1", at(DAY, 10)), actor=NURSE, now=at(DAY, 10))
    opened("B1", Origin.SYMPTOMS, at(DAY, 10))
    contact = opened("B2", Origin.CLOSE_CONTACT, at(DAY, 11))
    act(s, SITE, contact, Refer("City No. 2", at(DAY, 12)), actor=NURSE, now=at(DAY, 12))
    act(s, SITE, contact, Release("negative"), actor=NURSE, now=at(DAY, 20))
    # Check-ins, entered by the class teacher at 16:00: unit A morning 3 (one 37.6), noon 1;
    # unit B morning 1.
    for person, slot, celsius in (("A1", "morning", "36.5"), ("A2", "morning", "37.6"),
                                  ("A3", "morning", "36.4"), ("A1", "noon", "36.6"),
                                  ("B1", "morning", "36.7")):  # fmt: skip
        checkins.record_checkin(s, person, slot, Decimal(celsius), (), by="t", site=SITE,
                                now=at(DAY, 16), zone=TZ)  # fmt: skip
    for kind, day in (("forced_entry", DAY), ("forced_entry", DAY), ("refused_instructions", DAY),
                      ("forced_entry", before)):  # fmt: skip
        s.add(IncidentRow(site=SITE, gate="north-1", kind=kind, note="", by="g", at=at(day, 13)))


def report(session: Session, day: date = DAY) -> DailyReport:
    return daily_report(session=session, site=SITE, day=day, tz=TZ, now=at(day, 30))


def test_the_census_of_a_constructed_day(session: Session) -> None:
    census = report(session).census
    assert census is not None
    assert (census.on_campus, census.net_flow) == (5, 1)
    assert [(u.unit, u.expected, u.morning, u.noon) for u in census.checkins] == [
        ("A", 3, 3, 1),
        ("B", 2, 1, 0),
    ]  # the visitor is not expected to report
    assert (census.gate_fevers, census.checkin_fevers) == (1, 1)
    # New: the fever, the symptoms, the close contact, and A2's 37.6 check-in (entered at
    # 16:00, after A2's earlier case was released: a case of its own).
    assert census.new_by_origin == {"fever": 1, "symptoms": 1, "close_contact": 1, "checkin": 1}
    assert (census.new_cases, census.symptom_cases, census.zero) == (4, 1, False)
    assert (census.observation, census.referred, census.suspected, census.confirmed) == (1, 1, 0, 0)
    assert census.pending == 2  # the symptoms case and the check-in case
    assert (census.released, census.suspended, census.returned) == (2, 1, 0)
    assert census.incidents == {"forced_entry": 2, "refused_instructions": 1}


def test_a_day_without_a_new_case_is_a_zero_report_and_carries_the_head_count(
    session: Session, tmp_path: Path
) -> None:
    report(session)
    next_day = report(session, DAY + timedelta(days=1))
    census = next_day.census
    assert census is not None
    assert (next_day.zero, census.new_cases, census.on_campus) == (True, 0, 6)
    assert (census.observation, census.referred, census.suspended) == (1, 1, 1)
    text = clinic_report(next_day)
    assert "零报告" in text
    assert "在校人数：6" in text
    for fmt in ("csv", "xlsx", "pdf"):
        write_report(next_day, tmp_path / f"r.{fmt}", fmt)  # type: ignore[arg-type]
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "on campus at end of day (admitted in - out),6" in csv_text
    assert "check-ins per unit" in csv_text
    sheets = load_workbook(tmp_path / "r.xlsx").sheetnames
    assert {"check-ins", "new cases"} <= set(sheets)
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_a_gap_is_carried_from_the_latest_day_kept(session: Session) -> None:
    before = report(session, DAY - timedelta(days=1)).census  # keeps the day before's end
    assert before is not None
    assert before.on_campus == 4
    # Say the office corrected the count kept for that day (a resident count taken by hand).
    kept = session.get(CensusDayRow, (SITE, (DAY - timedelta(days=1)).isoformat()))
    assert kept is not None
    kept.on_campus = 100
    session.flush()
    # Two days on, never the day between: carried from the kept day, not the whole log.
    later = report(session, DAY + timedelta(days=2)).census
    assert later is not None
    assert (later.net_flow, later.on_campus) == (0, 102)  # 100 + the day's 1 + the next day's 1
