"""Isolation cases: list, timeline, open by hand, and every step of the lifecycle."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from services.audit.trace import TraceReport
from services.cases.bulk import MAX_BYTES
from services.cases.lifecycle import (
    Acknowledge,
    Action,
    Confirm,
    Measure,
    Observe,
    Origin,
    Refer,
    Release,
    Return,
    Suspect,
)
from services.web.admin.service import id_hasher
from services.web.api.case_models import (
    NoteRequest,
    ObserveRequest,
    OpenManyRequest,
    OpenManyResult,
    OpenOrigin,
    OpenRequest,
    ReferRequest,
    ReleaseRequest,
    ReturnRequest,
)
from services.web.api.common import PROBLEMS, CasePath
from services.web.api.models import PLAIN, CaseDetail, CaseView, MeasureRequest
from services.web.auth.roles import Permission, Principal
from services.web.clinic import manual, service
from services.web.clinic.manual import ListReportView
from services.web.context import WebContext, context
from services.web.http import require

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEMS)

Viewer = Annotated[Principal, Depends(require(Permission.CASE_VIEW))]
Clinician = Annotated[Principal, Depends(require(Permission.CASE_ACT))]


def _announce(ctx: WebContext, view: CaseView) -> CaseView:
    ctx.hub.publish_threadsafe(service.case_event(view))
    return view


def _act(request: Request, principal: Principal, case_id: str, action: Action) -> CaseView:
    ctx = context(request)
    with ctx.transaction() as session:
        view = service.act(session, ctx.site, principal, case_id, action, now=ctx.now(),
                           as_of=service.as_of(ctx))  # fmt: skip
    return _announce(ctx, view)


@router.get("", response_model=list[CaseView])
def list_cases(
    principal: Viewer,
    request: Request,
    closed: Annotated[bool, Query()] = False,
    flag: Annotated[Literal["missed_reading", "end_passed"] | None, Query()] = None,
) -> list[CaseView]:
    """Cases still isolating, newest first (``closed=true``: released ones too); each under
    observation with its follow-up ``flags``; ``flag`` keeps only the cases carrying it."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.list_cases(session, ctx.site, principal, include_closed=closed,
                                  as_of=service.as_of(ctx), flag=flag)  # fmt: skip


@router.post("", response_model=CaseView)
def open_case(body: OpenRequest, principal: Clinician, request: Request) -> CaseView:
    """Isolate one person by hand (close contact, an authority's list); joins an open case."""
    ctx = context(request)
    with ctx.transaction() as session:
        view = manual.open_one(session, ctx.site, principal, body, now=ctx.now())
    return _announce(ctx, view)


@router.post("/many", response_model=OpenManyResult)
def open_many(body: OpenManyRequest, principal: Clinician, request: Request) -> OpenManyResult:
    """Isolate the people of a contact trace's result: one case each (or the open one)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return manual.open_many(session, ctx.site, principal, body, now=ctx.now())


@router.post("/list", response_model=ListReportView)
async def isolate_list(
    principal: Clinician,
    request: Request,
    *,
    file: Annotated[UploadFile, File(description="person ids or ID numbers, one a line")],
    origin: Annotated[OpenOrigin, Query()] = OpenOrigin.AUTHORITY,
    note: Annotated[str, Query(max_length=500, pattern=PLAIN)] = "",
    dry_run: Annotated[bool, Query(description="check only, write nothing")] = False,
) -> ListReportView:
    """Isolate everyone a list names; any bad or unknown row and nothing is stored."""
    data = await file.read(MAX_BYTES + 1)
    await file.close()
    ctx = context(request)

    def work() -> ListReportView:
        with ctx.transaction() as session:
            return manual.isolate_upload(session, ctx.site, principal, data,
                                         hasher=id_hasher(ctx), origin=Origin(origin), note=note,
                                         now=ctx.now(), dry_run=dry_run)  # fmt: skip

    return await asyncio.to_thread(work)


@router.get("/{case_id}/contacts", response_model=TraceReport)
def contacts(
    case_id: CasePath,
    principal: Clinician,
    request: Request,
    window_minutes: Annotated[int, Query(ge=1, le=240)] = manual.TRACE_WINDOW_MINUTES,
    days: Annotated[int, Query(ge=1, le=30)] = manual.TRACE_DAYS,
) -> TraceReport:
    """Who passed the case's gates close to the person (logged as an audit query)."""
    ctx = context(request)
    with ctx.transaction() as session:
        return manual.contacts(session, ctx.site, principal, case_id,
                               window_minutes=window_minutes, days=days, now=ctx.now())  # fmt: skip


@router.get("/{case_id}", response_model=CaseDetail)
def case_detail(case_id: CasePath, principal: Viewer, request: Request) -> CaseDetail:
    ctx = context(request)
    with ctx.transaction() as session:
        return service.case_detail(session, ctx.site, principal, case_id, service.as_of(ctx))


@router.post("/{case_id}/acknowledge", response_model=CaseView)
def acknowledge(case_id: CasePath, principal: Clinician, request: Request) -> CaseView:
    return _act(request, principal, case_id, Acknowledge())


@router.post("/{case_id}/measurement", response_model=CaseView)
def measurement(
    case_id: CasePath, body: MeasureRequest, principal: Clinician, request: Request
) -> CaseView:
    """The clinic's own reading (also the twice-daily ones under observation); never closes."""
    return _act(request, principal, case_id, Measure(body.celsius))


@router.post("/{case_id}/observe", response_model=CaseView)
def observe(
    case_id: CasePath, body: ObserveRequest, principal: Clinician, request: Request
) -> CaseView:
    """Observation in a room or at home until a planned end; the person stays isolated."""
    start = body.start or context(request).now()
    return _act(request, principal, case_id, Observe(body.place, start, body.until, body.room))


@router.post("/{case_id}/refer", response_model=CaseView)
def refer(
    case_id: CasePath, body: ReferRequest, principal: Clinician, request: Request
) -> CaseView:
    return _act(request, principal, case_id, Refer(body.hospital, body.transfer_at))


@router.post("/{case_id}/suspect", response_model=CaseView)
def suspect(
    case_id: CasePath, body: NoteRequest, principal: Clinician, request: Request
) -> CaseView:
    return _act(request, principal, case_id, Suspect(body.note))


@router.post("/{case_id}/confirm", response_model=CaseView)
def confirm(
    case_id: CasePath, body: NoteRequest, principal: Clinician, request: Request
) -> CaseView:
    """A confirmed case suspends the person (休学) until a return is recorded."""
    return _act(request, principal, case_id, Confirm(body.note))


@router.post("/{case_id}/release", response_model=CaseView)
def release(
    case_id: CasePath, body: ReleaseRequest, principal: Clinician, request: Request
) -> CaseView:
    """The only end of an isolation: a clinician's release, with the reason."""
    return _act(request, principal, case_id, Release(body.reason))


@router.post("/{case_id}/return", response_model=CaseView)
def return_(
    case_id: CasePath, body: ReturnRequest, principal: Clinician, request: Request
) -> CaseView:
    """The return (复学) of a confirmed case's person: date and certificate reference."""
    return _act(request, principal, case_id, Return(body.returned_on, body.certificate))
