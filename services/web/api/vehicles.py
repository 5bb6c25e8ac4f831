"""Vehicles: the plate whitelist (administrators) and a plate checked at the centre (guards).

The plate is checked where the passage is decided too (``plate_not_allowed``); the
check here lets the guard see it before the occupants are screened.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from services.visitors import vehicles
from services.web.api.common import PROBLEMS, GatePath
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require
from services.web.visitors.models import PlateForm, PlateRef

router = APIRouter(tags=["vehicles"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
Lane = Annotated[Principal, Depends(require(Permission.GATE_LANE))]
PlatePath = Annotated[str, Path(min_length=1, max_length=16, description="number plate")]


@router.get("/api/v1/vehicles/plates", response_model=list[vehicles.Plate])
def list_plates(principal: Admin, request: Request) -> list[vehicles.Plate]:
    """The plate whitelist (staff cars), with validity."""
    ctx = context(request)
    with ctx.transaction() as session:
        return vehicles.list_plates(session=session, site=ctx.site)


@router.post("/api/v1/vehicles/plates", response_model=vehicles.Plate, status_code=201)
def add_plate(body: PlateForm, principal: Admin, request: Request) -> vehicles.Plate:
    """Whitelist a plate (format checked: 7 characters, 8 for new energy)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return vehicles.add_plate(
            session=session, site=ctx.site, plate=body.plate, owner=body.owner, unit=body.unit,
            valid_from=body.valid_from, valid_until=body.valid_until, by=principal.username,
            now=ctx.now(),
        )  # fmt: skip


@router.post("/api/v1/vehicles/plates/remove", status_code=204)
def remove_plate(body: PlateRef, principal: Admin, request: Request) -> None:
    ctx = context(request)
    with ctx.transaction() as session:
        vehicles.remove_plate(session=session, site=ctx.site, plate=body.plate,
                              by=principal.username, now=ctx.now())  # fmt: skip


@router.get("/api/v1/gates/{gate}/plates/{plate}", response_model=vehicles.PlateCheck)
def check_plate(
    gate: GatePath, plate: PlatePath, principal: Lane, request: Request
) -> vehicles.PlateCheck:
    """May this vehicle enter now (whitelisted, or brought by an approved visit)?"""
    ctx = context(request)
    principal.require_gate(Permission.GATE_LANE, gate)
    with ctx.transaction() as session:
        return vehicles.check_plate(session=session, site=ctx.site, plate=plate, now=ctx.now())
