"""The health census of a day (DESIGN section 1: 日报告、零报告; issue 17).

People on campus at the end of the day, from the gates' admitted ins and outs;
daily check-in completion per unit; fevers at the gates and in check-ins; new
cases by what opened them; cases under observation, referred, suspected and
confirmed at the end of the day; releases and returns; incidents at the lanes.
A **zero report** (零报告) is a day with no new case.

The report's one scan of the day already counts the admitted ins and outs, so
the head count costs nothing more: it is the count at the end of the day before,
kept in ``census_days``, plus the day's net flow.  A day before that was never
reported is carried from the latest day kept (from the whole log, once, when no
day is kept yet).  Everything else reads the small tables (cases and their
timeline, check-ins, incidents, the roster's units).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kernel.decision.reasons import Reason
from services.storage.health_models import CensusDayRow, CheckinRow, IncidentRow
from services.storage.models import (
    CASE_RELEASED,
    CaseEventRow,
    EntryRow,
    IsolationCaseRow,
    PersonRow,
)

ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
HELD = ("observation", "referred", "suspected", "confirmed")
"""Where a case may be at the end of a day (its last such step before then), besides pending."""
REPORTING_KINDS = ("student", "staff")


class UnitCheckins(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit: str
    expected: int
    morning: int
    noon: int


class FollowUpLine(BaseModel):
    """One case under observation with a follow-up flag (case id only: reports hold no names)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    until: datetime
    flags: list[str]
    missed: list[str]  # "2026-12-03 noon", oldest first


class Census(BaseModel):
    model_config = ConfigDict(frozen=True)

    on_campus: int  # at the end of the day (now, for today): admitted ins less outs
    net_flow: int  # the day's admitted ins less outs
    checkins: list[UnitCheckins]
    checkin_fevers: int
    gate_fevers: int
    new_cases: int
    new_by_origin: dict[str, int]
    symptom_cases: int
    pending: int  # open, acknowledged or re-measured at the end of the day
    observation: int
    referred: int
    suspected: int
    confirmed: int
    released: int  # released during the day
    returned: int  # returns (复学) recorded during the day
    suspended: int  # confirmed and not returned at the end of the day
    incidents: dict[str, int]
    zero: bool  # 零报告: no new case this day
    # Cases under observation at the end of the day that need the clinic's eye
    # (services/reports/followup.py): a twice-daily reading missed, the planned end passed.
    followup: list[FollowUpLine] = Field(default_factory=list)

    @property
    def missed_reading_cases(self) -> int:
        return sum("missed_reading" in f.flags for f in self.followup)

    @property
    def end_passed_cases(self) -> int:
        return sum("end_passed" in f.flags for f in self.followup)

    def checkin_totals(self) -> tuple[int, int, int]:
        """(expected, morning, noon) over every unit."""
        return (sum(u.expected for u in self.checkins), sum(u.morning for u in self.checkins),
                sum(u.noon for u in self.checkins))  # fmt: skip


def net_flow(aggregate: list[Any]) -> int:
    """Admitted ins less admitted outs, from the report's one scan of the day."""
    flow = 0
    for row in aggregate:
        if row.decision == "admit":
            flow += row.n if row.direction == "in" else -row.n
    return flow


def _on_campus_before(session: Session, site: str, day: date, start: datetime) -> int:
    """The head count at the end of the day before: kept, or carried from the latest day kept
    before it (the whole log when none is), then kept itself."""
    before = (day - timedelta(days=1)).isoformat()
    kept = session.get(CensusDayRow, (site, before))
    if kept is not None:
        return kept.on_campus
    earlier = session.scalars(
        select(CensusDayRow)
        .where(CensusDayRow.site == site, CensusDayRow.day < before)
        .order_by(CensusDayRow.day.desc())
        .limit(1)
    ).first()
    c = ENTRIES.c
    since: list[Any] = []
    count = 0
    if earlier is not None:
        after = date.fromisoformat(earlier.day) + timedelta(days=1)
        since = [c.ts >= datetime.combine(after, time.min, tzinfo=start.tzinfo)]
        count = earlier.on_campus
    rows = session.connection().execute(
        select(c.direction, func.count())
        .where(c.site == site, *since, c.ts < start, c.decision == "admit")
        .group_by(c.direction)
    )
    counts: dict[str, int] = {direction: int(n) for direction, n in rows}
    count += counts.get("in", 0) - counts.get("out", 0)
    _keep(session, site, before, count)
    return count


def _keep(session: Session, site: str, day: str, count: int) -> None:
    """Store a day's head count; two reports of one day at once both succeed (an upsert)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = CensusDayRow.__table__
    assert isinstance(table, Table)
    session.execute(
        insert(table)
        .values(site=site, day=day, on_campus=count)
        .on_conflict_do_update(index_elements=["site", "day"], set_={"on_campus": count})
    )


def _checkins(
    session: Session, site: str, day: date, threshold: Decimal
) -> tuple[list[UnitCheckins], int]:
    expected = dict(
        session.execute(
            select(PersonRow.unit, func.count())
            .where(PersonRow.active, PersonRow.kind.in_(REPORTING_KINDS))
            .group_by(PersonRow.unit)
        ).all()
    )
    reported: Counter[tuple[str, str]] = Counter()
    fevers = 0
    rows = session.execute(
        select(PersonRow.unit, CheckinRow.slot, CheckinRow.celsius)
        .join(PersonRow, PersonRow.person_id == CheckinRow.person_id)
        .where(CheckinRow.site == site, CheckinRow.day == day.isoformat())
    )
    for unit, slot, celsius in rows:
        reported[unit, slot] += 1
        fevers += Decimal(celsius) >= threshold
    units = sorted(set(expected) | {u for u, _s in reported})
    return [
        UnitCheckins(
            unit=u or "-",
            expected=int(expected.get(u, 0)),
            morning=reported[u, "morning"],
            noon=reported[u, "noon"],
        )
        for u in units
    ], fevers


def _held_at(session: Session, site: str, end: datetime) -> Counter[str]:
    """How many cases not released by ``end`` stood where then (their last step before it)."""
    alive, last = held_steps(session, site, end)
    held = Counter(last.values())
    held["pending"] = alive - len(last)
    return held


def held_steps(session: Session, site: str, end: datetime) -> tuple[int, dict[str, str]]:
    """The cases not released by ``end``: how many, and the last held step (observation,
    referred, ...) of each that had one before ``end``."""
    cases = IsolationCaseRow
    alive = set(
        session.scalars(
            select(cases.case_id).where(
                cases.site == site,
                cases.opened_at < end,
                or_(cases.closed_at.is_(None), cases.closed_at >= end),
            )
        )
    )
    last: dict[str, tuple[datetime, str]] = {}
    steps = session.execute(
        select(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.kind).where(
            CaseEventRow.at < end, CaseEventRow.kind.in_(HELD)
        )
    )
    for case_id, at, kind in steps:
        if case_id in alive and (case_id not in last or at >= last[case_id][0]):
            last[case_id] = (at, kind)
    return len(alive), {case_id: kind for case_id, (_at, kind) in last.items()}


def _count(session: Session, *where: Any) -> int:
    return session.scalar(select(func.count()).where(*where)) or 0


def _ends(session: Session, site: str, start: datetime, end: datetime) -> tuple[int, int, int]:
    """Released and returned during the day; suspended (confirmed, no return) at its end."""
    c = IsolationCaseRow
    released = _count(session, c.site == site, c.status == CASE_RELEASED,
                      c.closed_at >= start, c.closed_at < end)  # fmt: skip
    returned = _count(session, c.site == site, c.returned_at >= start, c.returned_at < end)
    suspended = _count(session, c.site == site, c.confirmed_at < end,
                       or_(c.returned_at.is_(None), c.returned_at >= end))  # fmt: skip
    return released, returned, suspended


def census(  # noqa: PLR0917 - the day, its bounds, the one scan's rows and the fever threshold
    session: Session,
    site: str,
    day: date,
    start: datetime,
    end: datetime,
    aggregate: list[Any],
    gate_fevers: int,
    threshold: Decimal,
) -> Census:
    flow = net_flow(aggregate)
    on_campus = _on_campus_before(session, site, day, start) + flow
    _keep(session, site, day.isoformat(), on_campus)
    units, checkin_fevers = _checkins(session, site, day, threshold)
    cases = IsolationCaseRow
    opened = Counter(
        session.scalars(
            select(cases.origin).where(
                cases.site == site, cases.opened_at >= start, cases.opened_at < end
            )
        )
    )
    released, returned, suspended = _ends(session, site, start, end)
    held = _held_at(session, site, end)
    incidents = dict(
        session.execute(
            select(IncidentRow.kind, func.count())
            .where(IncidentRow.site == site, IncidentRow.at >= start, IncidentRow.at < end)
            .group_by(IncidentRow.kind)
        ).all()
    )
    new = sum(opened.values())
    return Census(
        on_campus=on_campus,
        net_flow=flow,
        checkins=units,
        checkin_fevers=checkin_fevers,
        gate_fevers=gate_fevers,
        new_cases=new,
        new_by_origin=dict(opened),
        symptom_cases=opened.get(Reason.SYMPTOMS.value, 0),
        pending=held["pending"],
        observation=held["observation"],
        referred=held["referred"],
        suspected=held["suspected"],
        confirmed=held["confirmed"],
        released=released,
        returned=returned,
        suspended=suspended,
        incidents=incidents,
        zero=new == 0,
    )
