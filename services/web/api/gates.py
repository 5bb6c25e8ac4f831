"""Gates: state, commands from the office, and the kiosk's lane actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.web.api.common import PROBLEMS, GatePath, run_and_publish
from services.web.api.models import (
    CommandRequest,
    CommandSent,
    GateDetail,
    GateView,
    ManualPassageRequest,
    NoMaskRequest,
    OverrideRequest,
    PassageSent,
    RemeasureRequest,
    VehicleRequest,
)
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.gates import lookup as lookups
from services.web.gates import notices, service
from services.web.gates.lookup import LookupResult
from services.web.http import require

router = APIRouter(prefix="/api/v1/gates", tags=["gates"], responses=PROBLEMS)

Viewer = Annotated[Principal, Depends(require(Permission.GATE_VIEW))]
Commander = Annotated[Principal, Depends(require(Permission.GATE_COMMAND))]
Lane = Annotated[Principal, Depends(require(Permission.GATE_LANE))]


@router.get("", response_model=list[GateView])
def list_gates(principal: Viewer, request: Request) -> list[GateView]:
    """Every gate the user may see (a guard: only its own), with state and counts."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.list_gates(session, ctx, principal, ctx.now())


@router.get("/{gate}", response_model=GateDetail)
def gate_detail(gate: GatePath, principal: Viewer, request: Request) -> GateDetail:
    """One gate for its kiosk: state, devices, snapshot, recent passages and commands."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.gate_detail(session, ctx, principal, gate, ctx.now())


@router.post("/{gate}/commands", response_model=CommandSent)
def command(
    gate: GatePath, body: CommandRequest, principal: Commander, request: Request
) -> CommandSent:
    """Lock down, release, open or sync a gate. Lock state is stored before the command goes out;
    a lockdown or release is notified to the security office."""
    ctx = context(request)
    view = run_and_publish(
        ctx,
        lambda s: service.command_gate(
            s, ctx, principal, gate, name=body.command, reason=body.reason, now=ctx.now()
        ),
    )
    if view.command in notices.LOCK_COMMANDS:
        ctx.notifier.submit(notices.lock_notice(view))
    return CommandSent(command=view, published=ctx.feed.connected)


@router.post("/{gate}/remeasure", response_model=PassageSent)
def remeasure(
    gate: GatePath, body: RemeasureRequest, principal: Lane, request: Request
) -> PassageSent:
    """The guard's handheld reading: a new passage re-checking ``event_id``."""
    ctx = context(request)
    return run_and_publish(
        ctx,
        lambda s: service.remeasure(
            s, ctx, principal, gate, event_id=body.event_id, celsius=body.celsius, now=ctx.now()
        ),
    )


@router.post("/{gate}/no-mask", response_model=PassageSent)
def no_mask(gate: GatePath, body: NoMaskRequest, principal: Lane, request: Request) -> PassageSent:
    """The passage ``event_id`` again with ``mask: false`` (the central denies ``no_mask``)."""
    ctx = context(request)
    return run_and_publish(
        ctx,
        lambda s: service.no_mask(s, ctx, principal, gate, event_id=body.event_id, now=ctx.now()),
    )


@router.post("/{gate}/vehicle", response_model=CommandSent)
def vehicle(gate: GatePath, body: VehicleRequest, principal: Lane, request: Request) -> CommandSent:
    """Announce a vehicle at this vehicle lane: every occupant screened before the barrier opens."""
    ctx = context(request)
    view = run_and_publish(
        ctx,
        lambda s: service.announce_vehicle(
            s, ctx, principal, gate, plate=body.plate, occupants=body.occupants, now=ctx.now()
        ),
    )
    return CommandSent(command=view, published=ctx.feed.connected)


@router.post("/{gate}/override", response_model=CommandSent)
def override(
    gate: GatePath, body: OverrideRequest, principal: Lane, request: Request
) -> CommandSent:
    """Open the gate by hand with a written reason (logged with the guard's name)."""
    ctx = context(request)
    view = run_and_publish(
        ctx,
        lambda s: service.override(
            s, ctx, principal, gate, event_id=body.event_id, reason=body.reason, now=ctx.now()
        ),
    )
    return CommandSent(command=view, published=ctx.feed.connected)


@router.get("/{gate}/lookup", response_model=list[LookupResult])
def lookup(
    gate: GatePath,
    principal: Lane,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=64, description="学号/工号 or name")],
) -> list[LookupResult]:
    """People allowed at this gate by number or name (a few; logged; rate-limited)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return lookups.lookup(session, ctx, principal, gate, q)


@router.get("/{gate}/lookup/photo", response_class=Response)
def lookup_photo(
    gate: GatePath,
    principal: Lane,
    request: Request,
    ref: Annotated[str, Query(min_length=1, max_length=400)],
) -> Response:
    """The thumbnail of a person a look-up found here."""
    ctx = context(request)
    with ctx.transaction() as session:
        data = lookups.lookup_photo(session, ctx, principal, gate, ref)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/{gate}/manual-passage", response_model=PassageSent)
def manual_passage(
    gate: GatePath, body: ManualPassageRequest, principal: Lane, request: Request
) -> PassageSent:
    """A passage for a person looked up: ``manual`` credential, the guard's reading."""
    ctx = context(request)
    return run_and_publish(
        ctx,
        lambda s: lookups.manual_passage(
            s, ctx, principal, gate, ref=body.ref, celsius=body.celsius, mask=body.mask
        ),
    )
