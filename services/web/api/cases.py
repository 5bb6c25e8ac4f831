"""Isolation cases: list, timeline, acknowledge, clinical reading, outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.web.api.common import PROBLEMS, CasePath
from services.web.api.models import CaseDetail, CaseView, CloseRequest, MeasureRequest
from services.web.auth.roles import Permission, Principal
from services.web.clinic import service
from services.web.context import WebContext, context
from services.web.http import require

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEMS)

Viewer = Annotated[Principal, Depends(require(Permission.CASE_VIEW))]
Clinician = Annotated[Principal, Depends(require(Permission.CASE_ACT))]


def _announce(ctx: WebContext, view: CaseView) -> CaseView:
    ctx.hub.publish_threadsafe(service.case_event(view))
    return view


@router.get("", response_model=list[CaseView])
def list_cases(
    principal: Viewer, request: Request, closed: Annotated[bool, Query()] = False
) -> list[CaseView]:
    """Open cases, newest first (``closed=true``: closed ones too)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.list_cases(session, ctx.site, principal, include_closed=closed)


@router.get("/{case_id}", response_model=CaseDetail)
def case_detail(case_id: CasePath, principal: Viewer, request: Request) -> CaseDetail:
    ctx = context(request)
    with ctx.transaction() as session:
        return service.case_detail(session, ctx.site, principal, case_id)


@router.post("/{case_id}/acknowledge", response_model=CaseView)
def acknowledge(case_id: CasePath, principal: Clinician, request: Request) -> CaseView:
    ctx = context(request)
    with ctx.transaction() as session:
        view = service.acknowledge(session, ctx.site, principal, case_id, ctx.now())
    return _announce(ctx, view)


@router.post("/{case_id}/measurement", response_model=CaseView)
def measurement(
    case_id: CasePath, body: MeasureRequest, principal: Clinician, request: Request
) -> CaseView:
    """The clinic's own reading; it never closes the case by itself."""
    ctx = context(request)
    with ctx.transaction() as session:
        view = service.record_measurement(
            session, ctx.site, principal, case_id, celsius=body.celsius, now=ctx.now()
        )
    return _announce(ctx, view)


@router.post("/{case_id}/close", response_model=CaseView)
def close(
    case_id: CasePath, body: CloseRequest, principal: Clinician, request: Request
) -> CaseView:
    """Close with an outcome: released, isolation room, or referred to hospital."""
    ctx = context(request)
    with ctx.transaction() as session:
        view = service.close_case(
            session,
            ctx.site,
            principal,
            case_id,
            outcome=body.outcome,
            note=body.note,
            now=ctx.now(),
        )
    return _announce(ctx, view)
