"""The kiosk page of one gate (and a chooser for guards of several gates)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kernel.decision.reasons import Incident, Symptom
from services.web.api.common import GatePath
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.gates import service
from services.web.http import render, require

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.GATE_VIEW))]


@router.get("/kiosk")
def kiosk_index(request: Request, principal: Viewer) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        gates = service.list_gates(session, ctx, principal, ctx.now())
    if len(gates) == 1:
        return RedirectResponse(f"/kiosk/{gates[0].gate}", status_code=303)
    return render(request, "kiosk_index.html", principal=principal, gates=gates)


@router.get("/kiosk/{gate}")
def kiosk(gate: GatePath, request: Request, principal: Viewer) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        detail = service.gate_detail(session, ctx, principal, gate, ctx.now())
    return render(
        request,
        "kiosk.html",
        principal=principal,
        gate=gate,
        detail=detail,
        can_act=principal.can_gate(Permission.GATE_LANE, gate),
        symptoms=[s.value for s in Symptom],
        incidents=[i.value for i in Incident],
        page_data={"gate": gate, "detail": detail.model_dump(mode="json"),
                   "can_act": principal.can_gate(Permission.GATE_LANE, gate)},
    )  # fmt: skip
