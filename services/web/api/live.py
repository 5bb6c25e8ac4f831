"""Live updates by Server-Sent Events, and the live feed's own figures."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from schemas.names import NAME_PATTERN
from services.web.api.common import PROBLEMS
from services.web.api.models import LiveStats
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.errors import InvalidInput
from services.web.http import require, session_of
from services.web.live import events
from services.web.live.stream import sse_stream

router = APIRouter(prefix="/api/v1/live", tags=["live"], responses=PROBLEMS)

View = Literal["kiosk", "dashboard", "clinic"]
KIOSK_KINDS = frozenset({events.DECISION, events.STATUS, events.COMMAND})
DASHBOARD_KINDS = events.KINDS
CLINIC_KINDS = frozenset({events.ALERT, events.CASE, events.ESCALATION})


def _scope(
    principal: Principal, view: View, gate: str | None
) -> tuple[frozenset[str], frozenset[str] | None]:
    if view == "kiosk":
        if gate is None:
            raise InvalidInput("gate_required", "the kiosk view is of one gate")
        principal.require_gate(Permission.GATE_VIEW, gate)
        return KIOSK_KINDS, frozenset({gate})
    if view == "dashboard":
        principal.require(Permission.DASHBOARD_VIEW)
        return DASHBOARD_KINDS, None
    principal.require(Permission.CASE_VIEW)
    return CLINIC_KINDS, None


@router.get(
    "",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an event stream"}},
)
async def live(
    request: Request,
    view: Annotated[View, Query()],
    gate: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
) -> StreamingResponse:
    """``batch`` events (JSON arrays of decisions, statuses, commands, alerts, cases,
    escalations) for one view; ``reload`` when the browser fell too far behind or
    its session ended."""
    principal, expires_at = await asyncio.to_thread(session_of, request)
    kinds, gates = _scope(principal, view, gate)
    ctx = context(request)
    statuses = [
        events.status_data(known.status, known.received_at)
        for name, known in sorted(ctx.feed.statuses().items())
        if gates is None or name in gates
    ]
    hello = events.encode({"view": view, "gate": gate, "statuses": statuses})
    subscriber = ctx.hub.subscribe(kinds, gates, person_ids=principal.masker().view.person_ids)
    stream = sse_stream(ctx.hub, subscriber, clock=ctx.clock, expires_at=expires_at, hello=hello)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/stats", response_model=LiveStats)
async def stats(
    principal: Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))], request: Request
) -> LiveStats:
    """Subscribers and their queue depths, events in, overflows (slow browsers told to reload)."""
    ctx = context(request)
    hub = ctx.hub.stats()
    return LiveStats(
        connected=ctx.feed.connected,
        subscribers=hub.subscribers,
        events_in=hub.events_in,
        overflows=hub.overflows,
        max_queued=hub.max_queued,
        queued=hub.queued,
        mqtt_received=ctx.feed.received,
        mqtt_invalid=ctx.feed.invalid,
    )
