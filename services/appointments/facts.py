"""Appointments as the central decision sees them: one query per batch, approved only."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from kernel.decision.facts import AppointmentFacts
from services.grants import gates_set
from services.storage.models import AppointmentRow

CHUNK = 500
APPOINTMENTS: Table = AppointmentRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ApprovedAppointment:
    facts: AppointmentFacts
    id_last4: str


def approved_appointments(
    *, session: Session, site: str, appointment_ids: Collection[str]
) -> dict[str, ApprovedAppointment]:
    """The approved appointments among ``appointment_ids`` (refused, cancelled: absent)."""
    c = APPOINTMENTS.c
    found: dict[str, ApprovedAppointment] = {}
    ids = list(appointment_ids)
    for start in range(0, len(ids), CHUNK):
        query = select(
            c.appointment_id, c.visitor_name, c.gates, c.valid_from, c.valid_until, c.id_last4
        ).where(
            c.appointment_id.in_(ids[start : start + CHUNK]),
            c.site == site,
            c.status == "approved",
        )
        for row in session.connection().execute(query):
            found[row.appointment_id] = ApprovedAppointment(
                facts=AppointmentFacts(
                    appointment_id=row.appointment_id,
                    visitor_name=row.visitor_name,
                    gates=gates_set(row.gates),
                    valid_from=row.valid_from,
                    valid_until=row.valid_until,
                ),
                id_last4=row.id_last4,
            )
    return found
