"""Vehicles: the plate whitelist (staff cars, with validity) and the plates visits bring.

A vehicle may enter when its plate is on the whitelist and valid, or when an approved
visitor appointment brings it (the visitor's request names the plate; the driver is
the visitor, the occupants the visitor and the companions) and its window is open.
The central decision and the gate's snapshot read the same two sources
(``services.storage.batch_facts.plate_windows``, ``services.snapshot.build.read_plates``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, NotFound
from kernel.plates import normalise_plate
from services.storage.audit_log import log_action
from services.storage.batch_facts import plate_in_windows, plate_windows
from services.storage.visitor_models import PlateRow

MAX_PLATES = 100_000


class Plate(BaseModel):
    model_config = ConfigDict(frozen=True)

    plate: str
    owner: str
    unit: str
    valid_from: datetime | None
    valid_until: datetime | None
    added_by: str
    added_at: datetime


class PlateCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    plate: str
    allowed: bool


def _shown(row: PlateRow) -> Plate:
    return Plate(
        plate=row.plate,
        owner=row.owner,
        unit=row.unit,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        added_by=row.added_by,
        added_at=row.added_at,
    )


def add_plate(
    *,
    session: Session,
    site: str,
    plate: str,
    owner: str,
    unit: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    by: str,
    now: datetime,
) -> Plate:
    """Whitelist a plate (or replace its entry); the format is checked first."""
    plate = normalise_plate(plate)
    if valid_from and valid_until and valid_until <= valid_from:
        raise ConfigError("the validity ends before it starts")
    row = session.get(PlateRow, (site, plate))
    if row is None:
        row = PlateRow(site=site, plate=plate)
        session.add(row)
    row.owner, row.unit, row.valid_from, row.valid_until = owner, unit, valid_from, valid_until
    row.added_by, row.added_at = by, now
    log_action(session, at=now, actor=by, action="vehicle.plate_add", target=plate,
               params={"owner": owner, "unit": unit})  # fmt: skip
    session.flush()
    return _shown(row)


def remove_plate(*, session: Session, site: str, plate: str, by: str, now: datetime) -> None:
    plate = normalise_plate(plate)
    result = session.execute(delete(PlateRow).where(PlateRow.site == site, PlateRow.plate == plate))
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"{plate} is not on the whitelist")
    log_action(session, at=now, actor=by, action="vehicle.plate_remove", target=plate)


def list_plates(*, session: Session, site: str) -> list[Plate]:
    query = select(PlateRow).where(PlateRow.site == site).order_by(PlateRow.plate)
    return [_shown(row) for row in session.scalars(query.limit(MAX_PLATES))]


def check_plate(*, session: Session, site: str, plate: str, now: datetime) -> PlateCheck:
    """Whether ``plate`` may enter now, as the central decision would see it."""
    plate = normalise_plate(plate)
    windows = plate_windows(session, site, [plate]).get(plate, [])
    return PlateCheck(plate=plate, allowed=plate_in_windows(windows, now))
