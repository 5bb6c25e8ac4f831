"""The daily health check-in (晨午检): morning and noon temperatures and symptoms.

A person reports for themselves (the my-code page) or their unit's staff enter a
whole class; a report over the site's fever threshold, or with symptoms, opens a
case (or joins the one already isolating the person), like a fever at a gate.
Who has not reported is listed per unit once a slot's deadline has passed.  The
day is the site's local date; a second report for the same slot corrects the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.decision.reasons import Symptom
from services.cases import store
from services.cases.lifecycle import CaseRefused, Origin
from services.cases.service import CaseNotFound, open_case
from services.policy.store import current_policy
from services.storage.health_models import CheckinRow
from services.storage.models import PersonRow

PLAUSIBLE = (Decimal("34.0"), Decimal("43.0"))
"""A self-reported reading outside this is a typing error (DESIGN section 4's range)."""
DEADLINES = {"morning": time(10, 0), "noon": time(14, 30)}
"""When a slot's report is due (site's local time); web settings and the CLI may change them."""
REPORTING_KINDS = ("student", "staff")
"""Who is expected to report every day (visitors and family members are not)."""


class Slot(StrEnum):
    MORNING = "morning"
    NOON = "noon"


@dataclass(frozen=True, slots=True)
class CheckinResult:
    person_id: str
    day: date
    slot: Slot
    celsius: Decimal
    symptoms: tuple[Symptom, ...]
    case_id: str | None  # the case it opened or joined, if over the threshold or with symptoms
    new_case: bool


@dataclass(frozen=True, slots=True)
class SheetRow:
    person_id: str
    name: str
    unit: str
    morning: CheckinRow | None
    noon: CheckinRow | None


def local_day(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def record_checkin(
    session: Session,
    person_id: str,
    slot: Slot | str,
    temperature: Decimal,
    symptoms: Sequence[Symptom | str] = (),
    *,
    by: str,
    site: str,
    now: datetime,
    zone: ZoneInfo,
) -> CheckinResult:
    """Record one report (``by``: the person themselves or the staff member who entered it)."""
    slot = Slot(slot)
    found = tuple(dict.fromkeys(Symptom(s) for s in symptoms))
    if not PLAUSIBLE[0] <= temperature <= PLAUSIBLE[1]:
        raise CaseRefused("implausible_reading", f"{temperature} °C is not a body temperature",
                          "invalid")  # fmt: skip
    person = store.persons(session=session, person_ids=[person_id]).get(person_id)
    if person is None or not person.active:
        raise CaseNotFound(f"no active person {person_id}")
    day = local_day(now, zone)
    row = session.scalars(
        select(CheckinRow).where(CheckinRow.site == site, CheckinRow.person_id == person_id,
                                 CheckinRow.day == day.isoformat(), CheckinRow.slot == slot.value)
    ).first()  # fmt: skip
    if row is None:
        row = CheckinRow(site=site, person_id=person_id, day=day.isoformat(), slot=slot.value)
        session.add(row)
    row.celsius, row.symptoms, row.by, row.at = temperature, ",".join(found), by, now
    case_id, new = None, False
    threshold = current_policy(session=session, site=site).threshold
    if temperature >= threshold or found:
        listed = ", ".join([f"{temperature:.1f} °C", *found])
        case, new = open_case(session, site, person, origin=Origin.CHECKIN,
                              note=f"{slot.value} {listed}", actor=None, recorded_by=by,
                              now=now, celsius=temperature)  # fmt: skip
        case_id = row.case_id = case.case_id
    session.flush()
    return CheckinResult(person_id, day, slot, temperature, found, case_id, new)


def _expected(session: Session, unit: str | None) -> list[PersonRow]:
    query = select(PersonRow).where(PersonRow.active, PersonRow.kind.in_(REPORTING_KINDS))
    if unit is not None:  # "-" names the people of no unit (as missing() lists them)
        query = query.where(PersonRow.unit == ("" if unit == "-" else unit))
    return list(session.scalars(query.order_by(PersonRow.unit, PersonRow.person_id)))


def _reports(session: Session, site: str, day: date) -> dict[tuple[str, str], CheckinRow]:
    rows = session.scalars(
        select(CheckinRow).where(CheckinRow.site == site, CheckinRow.day == day.isoformat())
    )
    return {(r.person_id, r.slot): r for r in rows}


def sheet(session: Session, site: str, *, unit: str, day: date) -> list[SheetRow]:
    """A unit's (class's) people with their morning and noon reports of ``day``."""
    reports = _reports(session, site, day)
    return [
        SheetRow(
            p.person_id,
            p.name,
            p.unit,
            reports.get((p.person_id, Slot.MORNING.value)),
            reports.get((p.person_id, Slot.NOON.value)),
        )
        for p in _expected(session, unit)
    ]


def missing(
    session: Session, site: str, *, day: date, slot: Slot | str
) -> dict[str, list[PersonRow]]:
    """Per unit, who expected to report has no ``slot`` report on ``day``."""
    slot = Slot(slot)
    reports = _reports(session, site, day)
    found: dict[str, list[PersonRow]] = {}
    for person in _expected(session, None):
        if (person.person_id, slot.value) not in reports:
            found.setdefault(person.unit or "-", []).append(person)
    return found


def overdue(day: date, slot: Slot | str, *, now: datetime, zone: ZoneInfo,
            deadlines: dict[str, time] | None = None) -> bool:  # fmt: skip
    """Whether the deadline of ``slot`` on ``day`` has passed (then missing reports are late)."""
    deadline = (deadlines or DEADLINES)[Slot(slot).value]
    return now >= datetime.combine(day, deadline, tzinfo=zone)


def units(session: Session) -> list[str]:
    return sorted(
        u or "-"
        for u in session.scalars(
            select(PersonRow.unit).where(PersonRow.active, PersonRow.kind.in_(REPORTING_KINDS))
            .distinct()
        )
    )  # fmt: skip
