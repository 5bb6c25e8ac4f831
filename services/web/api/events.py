"""An event's visitor list: uploaded (XLSX) by the unit's approver or 信息员, approved in one
action by the unit's approver.  The file is copied to a private temporary file (bounded)
and read in a worker thread, past the roster's XLSX bomb limits."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict

from services.roster.xlsx_limits import RosterTooLarge
from services.visitors import events
from services.visitors.forms import FREE_CHARS
from services.web.admin.models import When
from services.web.admin.service import id_hasher, signing_key
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import WebContext, context
from services.web.errors import InvalidInput
from services.web.http import require
from services.web.visitors import service
from services.web.visitors.models import Unit

router = APIRouter(prefix="/api/v1/unit/events", tags=["units"], responses=PROBLEMS)

Viewer = Annotated[Principal, Depends(require(Permission.UNIT_VIEW))]
Decider = Annotated[Principal, Depends(require(Permission.UNIT_DECIDE))]
BatchPath = Annotated[str, PathParam(pattern=r"^E-[0-9a-f]{16}$", description="event batch")]
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a 2,000-row list is about 100 KB
CHUNK_BYTES = 256 * 1024


class EventRowError(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    reason: str


class EventImportView(BaseModel):
    """The batch made (``written``), or every row's reason nothing was."""

    model_config = ConfigDict(frozen=True)

    rows: int
    written: bool
    batch: str
    errors: list[EventRowError]


class EventApproval(BaseModel):
    model_config = ConfigDict(frozen=True)

    batch: str
    approved: list[str]


@dataclass(frozen=True, slots=True)
class EventForm:
    unit: str
    purpose: str
    valid_from: datetime
    valid_until: datetime


def _import(ctx: WebContext, principal: Principal, path: Path, form: EventForm) -> EventImportView:
    rows = events.read_event_xlsx(path)
    with ctx.transaction() as session:
        service.require_own_unit(session, principal, form.unit)
        report = events.import_event(
            session=session, site=ctx.site, rows=rows, unit=form.unit, purpose=form.purpose,
            valid_from=form.valid_from, valid_until=form.valid_until, hasher=id_hasher(ctx),
            by=principal.username, now=ctx.now(), policy=service.policy(ctx),
        )  # fmt: skip
    return EventImportView(
        rows=report.rows, written=not report.errors, batch=report.batch,
        errors=[EventRowError(line=line, reason=reason) for line, reason in report.errors[:500]],
    )  # fmt: skip


@router.post("", response_model=EventImportView)
async def import_event(
    principal: Viewer,
    request: Request,
    *,
    file: Annotated[UploadFile, File(description="the visitor list, .xlsx")],
    unit: Annotated[Unit, Form()],
    purpose: Annotated[str, Form(min_length=1, max_length=500, pattern=FREE_CHARS)],
    valid_from: Annotated[When, Form()],
    valid_until: Annotated[When, Form()],
) -> EventImportView:
    """Every row a request of my unit in one batch; one bad row: none, with every reason."""
    ctx = context(request)
    with tempfile.TemporaryDirectory(prefix="cg-event-") as folder:
        path = Path(folder) / "event.xlsx"
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise InvalidInput("upload_too_large", f"at most {MAX_UPLOAD_BYTES} bytes")
                out.write(chunk)
        try:
            form = EventForm(unit, purpose, valid_from, valid_until)
            return await asyncio.to_thread(_import, ctx, principal, path, form)
        except RosterTooLarge as exc:
            raise InvalidInput("roster_too_large", exc.text(principal.lang)) from exc


@router.post("/{batch}/approve", response_model=EventApproval)
def approve_event(batch: BatchPath, principal: Decider, request: Request) -> EventApproval:
    """Approve the whole list in one action (approvers of its unit only)."""
    ctx = context(request)
    with ctx.transaction() as session:
        approved = events.approve_event(session=session, batch=batch, by=principal.username,
                                        now=ctx.now(), key=signing_key(ctx))  # fmt: skip
    return EventApproval(batch=batch, approved=approved)
