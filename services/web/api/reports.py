"""The daily report (日报告/零报告) of one local day: figures as JSON, or a CSV/XLSX/PDF file."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response

from services.reports.census_render import clinic_report
from services.reports.clinic_render import MEDIA_TYPES as CLINIC_MEDIA_TYPES
from services.reports.daily import DailyReport
from services.web.api.audit import as_attachment
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require, require_any
from services.web.reports import service

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=PROBLEMS)

Reader = Annotated[Principal, Depends(require(Permission.REPORT_VIEW))]
# The clinic report (上报) is also the clinic's own: whoever reads reports or cases.
ClinicReader = Annotated[
    Principal, Depends(require_any(Permission.REPORT_VIEW, Permission.CASE_VIEW))
]
CLINIC_DOWNLOADS: dict[int | str, dict[str, object]] = {
    200: {"content": {media: {} for media in CLINIC_MEDIA_TYPES.values()}}
}
DOWNLOADS: dict[int | str, dict[str, object]] = {
    200: {"content": {media: {} for media in service.MEDIA_TYPES.values()}}
}


@router.get("/daily", response_model=DailyReport, responses=DOWNLOADS)
def daily(
    principal: Reader,
    request: Request,
    day: Annotated[
        date | None, Query(alias="date", description="local day; default yesterday")
    ] = None,
    format: Annotated[Literal["json", "csv", "xlsx", "pdf"], Query()] = "json",
) -> Response | DailyReport:
    """Entries per gate, kind and decision, fevers, denials, cases, visitors, thermometers."""
    ctx = context(request)
    chosen = service.report_day(ctx, day)
    with ctx.transaction() as session:
        report = service.build(session, ctx, principal, chosen, format)
    if format == "json":
        return report
    return as_attachment(service.download(report, format, principal.lang))


@router.get("/clinic", response_class=PlainTextResponse, responses=CLINIC_DOWNLOADS)
def clinic(
    principal: ClinicReader,
    request: Request,
    day: Annotated[
        date | None, Query(alias="date", description="local day; default yesterday")
    ] = None,
    format: Annotated[Literal["txt", "csv", "xlsx", "pdf"], Query()] = "txt",
) -> Response:
    """The clinic's report to send upward (上报): the day's health census, check-ins per
    unit, new cases and the follow-up of cases under observation; text (zh-CN) or a file."""
    ctx = context(request)
    chosen = service.report_day(ctx, day)
    with ctx.transaction() as session:
        report = service.build(session, ctx, principal, chosen, f"clinic-{format}")
    if format == "txt":
        return PlainTextResponse(clinic_report(report))
    return as_attachment(service.clinic_download(report, format))
