"""What a unit's 信息员 and approvers see of their own units, and nothing more:
the unit's people on the roster, and today's entries of those people and of the
unit's visitors (by the appointment that let them in)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kernel.localtime import day_bounds
from kernel.masking import mask_id_number, mask_person_id
from services.storage.models import AppointmentRow, EntryRow, PersonRow

LIMIT = 2000


class UnitPerson(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    kind: str
    unit: str
    masked_id: str
    active: bool


class UnitEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    ts: datetime
    gate: str
    direction: str
    decision: str
    reasons: list[str]
    who: str  # the person's masked id, or the appointment id of a visitor
    unit: str


def people(*, session: Session, units: frozenset[str]) -> list[UnitPerson]:
    if not units:
        return []
    query = (
        select(PersonRow)
        .where(PersonRow.unit.in_(sorted(units)))
        .order_by(PersonRow.unit, PersonRow.name)
        .limit(LIMIT)
    )
    return [
        UnitPerson(
            person_id=mask_person_id(p.person_id),
            name=p.name,
            kind=p.kind,
            unit=p.unit,
            masked_id=mask_id_number(p.id_last4),
            active=p.active,
        )
        for p in session.scalars(query)
    ]


def entries_today(
    *, session: Session, site: str, units: frozenset[str], now: datetime, tz: ZoneInfo
) -> list[UnitEntry]:
    """Today's (local) entries of the units' people and visitors, newest first."""
    if not units:
        return []
    start, end = day_bounds(now.astimezone(tz).date(), tz)
    members = select(PersonRow.person_id).where(PersonRow.unit.in_(sorted(units)))
    visits = select(AppointmentRow.appointment_id).where(
        AppointmentRow.host_unit.in_(sorted(units))
    )
    query = (
        select(EntryRow, PersonRow.unit, AppointmentRow.host_unit)
        .outerjoin(PersonRow, PersonRow.person_id == EntryRow.person_id)
        .outerjoin(AppointmentRow, AppointmentRow.appointment_id == EntryRow.grant_id)
        .where(EntryRow.site == site, EntryRow.ts >= start, EntryRow.ts < end)
        .where(or_(EntryRow.person_id.in_(members), EntryRow.grant_id.in_(visits)))
        .order_by(EntryRow.ts.desc())
        .limit(LIMIT)
    )
    return [
        UnitEntry(
            ts=row.ts,
            gate=row.gate,
            direction=row.direction,
            decision=row.decision,
            reasons=[r for r in row.reasons.split(",") if r],
            who=mask_person_id(row.person_id) if row.person_id else (row.grant_id or ""),
            unit=person_unit or host_unit or "",
        )
        for row, person_unit, host_unit in session.execute(query)
    ]
