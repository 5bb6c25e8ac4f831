"""``/healthz`` and ``/readyz`` of the web service, for a load balancer or a container runtime.

Public on purpose, and therefore terse: ``/readyz`` names the failing checks, not
their errors (those are on the private ``--http`` port with the metrics).  Not in
the OpenAPI document: a 503 is their meaning, not a server error to fuzz away.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from services.web.context import WebContext
from services.web.observe import readiness_checks

router = APIRouter(include_in_schema=False)


@router.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    return "ok\n"


@router.get("/readyz", response_class=PlainTextResponse)
def readyz(request: Request) -> PlainTextResponse:
    ctx: WebContext = request.app.state.ctx
    failing = []
    for name, check in readiness_checks(ctx).items():
        try:
            if check() is not None:
                failing.append(name)
        except Exception:
            failing.append(name)
    if failing:
        return PlainTextResponse(f"not ready: {', '.join(failing)}\n", status_code=503)
    return PlainTextResponse("ready\n")
