"""The daily report (日报告) and the zero report (零报告): one local day of one site.

All the entry figures come from a single aggregate query over the day's
entries (grouped by gate, direction, kind, decision, reasons, appointment/pass
and local hour), so the report costs one scan of the day plus a few small
queries (cases, appointments, passes, exits, rejected messages, the chain
head) and the health census (services/reports/census.py).  A day without a new
case is a zero report (零报告), marked ``zero``; a report is made every day, even
when it is all zeros.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Integer, Table, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from kernel.decision.reasons import Reason
from kernel.localtime import day_bounds
from schemas.policy import DEFAULT_THRESHOLD
from services.audit.chain import chain_head
from services.cases.checkins import DEADLINES
from services.reports.census import Census, census
from services.reports.followup import observation_followup
from services.storage.models import (
    AppointmentRow,
    EntryRow,
    HouseholdExitRow,
    IsolationCaseRow,
    PolicyVersionRow,
    RejectedMessageRow,
    TempPassRow,
)

ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
CASES: Table = IsolationCaseRow.__table__  # type: ignore[assignment]
DECISIONS = ("admit", "recheck", "deny", "isolate")
NO_SENSOR = "(none)"  # a fever no sensor measured (a reading typed by hand)


class GateCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    gate: str
    direction: str
    kind: str
    decision: str
    count: int


class SensorRate(BaseModel):
    """One thermometer's false-fever rate: fevers the clinic re-measured below the threshold."""

    model_config = ConfigDict(frozen=True)

    sensor: str
    fever_cases: int
    remeasured: int
    below_threshold: int

    @property
    def rate(self) -> float | None:
        return self.below_threshold / self.fever_cases if self.fever_cases else None


class CaseFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    opened: int
    closed: int
    open_at_end: int
    unacknowledged_at_end: int
    escalated: int
    outcomes: dict[str, int]


class VisitorFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    requested: int
    approved: int
    refused: int
    expected: int  # approved appointments whose window touches the day
    admitted: int  # distinct appointments that admitted someone
    visitor_entries: int
    passes_issued: int
    pass_entries: int


class DailyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    site: str
    day: date
    timezone: str
    generated_at: datetime
    entries: int
    by_decision: dict[str, int]
    by_direction: dict[str, int]
    by_gate: list[GateCount]
    by_hour: list[dict[str, int]]  # 24 local hours: decision -> count
    fevers: int
    denials: int
    denial_reasons: dict[str, int]
    household_exits: int
    rejected_messages: int
    cases: CaseFigures
    visitors: VisitorFigures
    thermometers: list[SensorRate]
    policy_versions: list[int]
    chain_anchor: str
    chain_unsealed: int
    zero: bool  # 零报告: no new case this day (the census says which figures)
    census: Census | None = None

    def gate_totals(self) -> dict[str, dict[str, int]]:
        """gate -> decision -> count (both directions, every kind)."""
        totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DECISIONS, 0))
        for row in self.by_gate:
            totals[row.gate][row.decision] += row.count
        return dict(sorted(totals.items()))


def _hour_bucket(session: Session, start: datetime) -> Any:
    """The entry's hour of the local day (0-23) as a SQL expression, integer arithmetic only."""
    epoch = int(start.timestamp())
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", ENTRIES.c.ts) - literal(epoch)
        return cast(func.floor(seconds / 3600), Integer)
    # SQLite keeps the UTC time as text; strftime('%s') reads it as whole seconds.
    seconds = cast(func.strftime("%s", ENTRIES.c.ts), Integer) - literal(epoch)
    return seconds // 3600  # integer division (``/`` would be true division: a group per row)


def entry_aggregate(session: Session, site: str, start: datetime, end: datetime) -> list[Any]:
    """The one scan: counts grouped by everything the report shows."""
    hour = _hour_bucket(session, start).label("hour")
    c = ENTRIES.c
    query = (
        select(
            c.gate,
            c.direction,
            c.kind,
            c.decision,
            c.reasons,
            c.grant_id,
            c.policy_version,
            hour,
            func.count().label("n"),
        )
        .where(c.site == site, c.ts >= start, c.ts < end)
        .group_by(
            c.gate, c.direction, c.kind, c.decision, c.reasons, c.grant_id, c.policy_version, hour
        )
    )
    return list(session.connection().execute(query))


def _thresholds(session: Session, site: str) -> dict[int, Decimal]:
    found: dict[int, Decimal] = {}
    for version, text in session.execute(
        select(PolicyVersionRow.version, PolicyVersionRow.policy_json).where(
            PolicyVersionRow.site == site
        )
    ):
        from schemas.policy import Policy  # noqa: PLC0415 - only when versions are stored

        found[version] = Policy.model_validate_json(text).threshold
    return found


def _cases(session: Session, site: str, start: datetime, end: datetime) -> CaseFigures:
    c = CASES.c
    connection = session.connection()
    opened = list(
        connection.execute(
            select(c.outcome, c.escalated_at).where(
                c.site == site, c.opened_at >= start, c.opened_at < end
            )
        )
    )
    closed = connection.execute(
        select(func.count()).where(c.site == site, c.closed_at >= start, c.closed_at < end)
    ).scalar_one()
    still_open = or_(c.closed_at.is_(None), c.closed_at >= end)
    open_at_end = connection.execute(
        select(func.count()).where(c.site == site, c.opened_at < end, still_open)
    ).scalar_one()
    unacknowledged = connection.execute(
        select(func.count()).where(
            c.site == site,
            c.opened_at < end,
            still_open,
            or_(c.acknowledged_at.is_(None), c.acknowledged_at >= end),
        )
    ).scalar_one()
    outcomes = Counter(o or "pending" for o, _esc in opened)
    return CaseFigures(
        opened=len(opened),
        closed=closed,
        open_at_end=open_at_end,
        unacknowledged_at_end=unacknowledged,
        escalated=sum(1 for _o, esc in opened if esc is not None),
        outcomes=dict(outcomes),
    )


def _thermometers(session: Session, site: str, start: datetime, end: datetime) -> list[SensorRate]:
    """Per sensor, over the fever cases opened that day: how many the clinic found below.

    Two small queries (the day's cases, then their entries by event id) rather
    than a join, so no planner ever walks the entry log from its far end.
    """
    thresholds = _thresholds(session, site)
    c, e = CASES.c, ENTRIES.c
    connection = session.connection()
    clinic: dict[str, Any] = {}
    for event_id, measured in connection.execute(
        select(c.event_id, c.clinic_celsius).where(
            c.site == site, c.opened_at >= start, c.opened_at < end
        )
    ):
        clinic[event_id] = measured
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    events = sorted(clinic)
    for offset in range(0, len(events), 500):
        rows = connection.execute(
            select(e.event_id, e.sensor, e.policy_version, e.reasons).where(
                e.event_id.in_(events[offset : offset + 500])
            )
        )
        for event_id, sensor, version, reasons in rows:
            if Reason.FEVER not in (reasons or "").split(","):
                continue
            figures = per[sensor or NO_SENSOR]
            figures[0] += 1
            measured = clinic[event_id]
            if measured is not None:
                figures[1] += 1
                if Decimal(measured) < thresholds.get(version, DEFAULT_THRESHOLD):
                    figures[2] += 1
    return [
        SensorRate(sensor=s, fever_cases=f[0], remeasured=f[1], below_threshold=f[2])
        for s, f in sorted(per.items())
    ]


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    """How many rows match ``where`` (the table is the one its columns name)."""
    return session.scalar(select(func.count()).where(*where)) or 0


def _visitors(
    session: Session, site: str, start: datetime, end: datetime, aggregate: list[Any]
) -> VisitorFigures:
    a = AppointmentRow
    requested = session.execute(
        select(a.status, func.count())
        .where(a.site == site, a.requested_at >= start, a.requested_at < end)
        .group_by(a.status)
    ).all()
    by_status: dict[str, int] = {}
    for status, n in requested:
        by_status[status] = n
    decided_today = (a.site == site, a.decided_at >= start, a.decided_at < end)
    approved_today = _count(
        session,
        *decided_today,
        a.status.in_(["approved", "cancelled"]),
        a.code_jti.is_not(None),
    )
    refused_today = _count(session, *decided_today, a.status == "refused")
    expected = _count(
        session, a.site == site, a.status == "approved", a.valid_from < end, a.valid_until >= start
    )
    passes_issued = _count(
        session,
        TempPassRow.site == site,
        TempPassRow.issued_at >= start,
        TempPassRow.issued_at < end,
    )
    visitor_entries = sum(r.n for r in aggregate if r.kind == "visitor")
    admitted = {
        r.grant_id
        for r in aggregate
        if r.kind == "visitor" and r.decision == "admit" and r.direction == "in"
    }
    return VisitorFigures(
        requested=sum(by_status.values()),
        approved=approved_today,
        refused=refused_today,
        expected=expected,
        admitted=len(admitted),
        visitor_entries=visitor_entries,
        passes_issued=passes_issued,
        pass_entries=sum(r.n for r in aggregate if r.kind == "pass"),
    )


@dataclass
class _Tally:
    """The entry figures, added up over the rows of the day's aggregate."""

    by_decision: Counter[str] = field(default_factory=Counter)
    by_direction: Counter[str] = field(default_factory=Counter)
    gates: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    hours: list[dict[str, int]] = field(
        default_factory=lambda: [dict.fromkeys(DECISIONS, 0) for _ in range(24)]
    )
    reasons: Counter[str] = field(default_factory=Counter)
    versions: set[int] = field(default_factory=set)
    fevers: int = 0
    denials: int = 0

    def add(self, row: Any) -> None:
        n = row.n
        self.versions.add(row.policy_version)
        self.by_decision[row.decision] += n
        self.by_direction[row.direction] += n
        self.gates[row.gate, row.direction, row.kind or "unknown", row.decision] += n
        hour = min(23, max(0, int(row.hour)))  # a 25-hour day folds its extra hour in
        self.hours[hour][row.decision] = self.hours[hour].get(row.decision, 0) + n
        listed = [r for r in (row.reasons or "").split(",") if r]
        if Reason.FEVER in listed:
            self.fevers += n
        if row.decision == "deny":
            self.denials += n
            for reason in listed:
                self.reasons[reason] += n


# Long on purpose: one section of the report after another, in the report's own order.
def daily_report(
    *,
    session: Session,
    site: str,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    deadlines: Mapping[str, time] = DEADLINES,
) -> DailyReport:
    """The report of ``day``; ``deadlines`` (the check-in's) judge the observation follow-up."""
    start, end = day_bounds(day, tz)
    aggregate = entry_aggregate(session, site, start, end)
    tally = _Tally()
    for row in aggregate:
        tally.add(row)
    exits = _count(
        session,
        HouseholdExitRow.site == site,
        HouseholdExitRow.exited_at >= start,
        HouseholdExitRow.exited_at < end,
    )
    rejected = _count(
        session, RejectedMessageRow.received_at >= start, RejectedMessageRow.received_at < end
    )
    cases = _cases(session, site, start, end)
    visitors = _visitors(session, site, start, end, aggregate)
    head = chain_head(session=session)
    # Ids are dense, so the newest id less the head's is the unsealed tail (one index probe).
    unsealed = max(0, (session.scalar(select(func.max(ENTRIES.c.id))) or 0) - head.entry_id)
    total = sum(tally.by_decision.values())
    versions = _thresholds(session, site)
    threshold = versions[max(versions)] if versions else DEFAULT_THRESHOLD
    health = census(session, site, day, start, end, aggregate, tally.fevers, threshold)
    followup = observation_followup(session, site, end=end, now=now, zone=tz, deadlines=deadlines)
    health = health.model_copy(update={"followup": followup})
    return DailyReport(
        site=site,
        day=day,
        timezone=str(tz),
        generated_at=now,
        entries=total,
        by_decision={d: tally.by_decision.get(d, 0) for d in DECISIONS},
        by_direction={d: tally.by_direction.get(d, 0) for d in ("in", "out")},
        by_gate=[
            GateCount(gate=g, direction=d, kind=k, decision=dec, count=n)
            for (g, d, k, dec), n in sorted(tally.gates.items())
        ],
        by_hour=tally.hours,
        fevers=tally.fevers,
        denials=tally.denials,
        denial_reasons=dict(tally.reasons.most_common()),
        household_exits=exits,
        rejected_messages=rejected,
        cases=cases,
        visitors=visitors,
        thermometers=_thermometers(session, site, start, end),
        policy_versions=sorted(tally.versions),
        chain_anchor=head.anchor(),
        chain_unsealed=unsealed,
        zero=health.zero,
        census=health,
    )
