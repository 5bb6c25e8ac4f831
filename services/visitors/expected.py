"""Who is expected at a gate today: approved visits whose window touches the local day
and names the gate (or every gate), with the plate and the party's size."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.localtime import day_bounds
from kernel.masking import Masker
from services.storage.models import AppointmentRow
from services.storage.visitor_models import VisitorRequestRow

LIMIT = 1000


class Expected(BaseModel):
    model_config = ConfigDict(frozen=True)

    appointment_id: str
    visitor_name: str
    host_unit: str
    valid_from: datetime
    valid_until: datetime
    plate: str
    party: int  # the visitor and the companions
    source: str


def expected_today(
    *, session: Session, site: str, gate: str, now: datetime, tz: ZoneInfo, role: str
) -> list[Expected]:
    start, end = day_bounds(now.astimezone(tz).date(), tz)
    query = (
        select(AppointmentRow, VisitorRequestRow)
        .outerjoin(
            VisitorRequestRow, VisitorRequestRow.appointment_id == AppointmentRow.appointment_id
        )
        .where(
            AppointmentRow.site == site,
            AppointmentRow.status == "approved",
            AppointmentRow.valid_from < end,
            AppointmentRow.valid_until >= start,
        )
        .order_by(AppointmentRow.valid_from)
        .limit(LIMIT)
    )
    masker = Masker(role)
    found = []
    for row, extra in session.execute(query):
        gates = row.gates.split(";")
        if "*" not in gates and gate not in gates:
            continue
        companions = [c for c in (extra.companions if extra else "").split("\n") if c]
        found.append(
            Expected(
                appointment_id=row.appointment_id,
                visitor_name=masker.name(row.visitor_name) or "",
                host_unit=row.host_unit,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                plate=extra.plate if extra else "",
                party=1 + len(companions),
                source=extra.source if extra else "admin",
            )
        )
    return found
