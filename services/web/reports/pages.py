"""The reports page: a day's key figures, with the report's CSV/XLSX/PDF downloads; and
the clinic report (上报) page, the clinic's own (who reads cases may read it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.reports.census_render import census_figures, checkin_rows, clinic_report
from services.reports.render import key_figures
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.errors import InvalidInput
from services.web.http import render, require, require_any
from services.web.reports import service
from ui.i18n import t

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require(Permission.REPORT_VIEW))]
ClinicReader = Annotated[
    Principal, Depends(require_any(Permission.REPORT_VIEW, Permission.CASE_VIEW))
]


def _asked(day: str) -> date | None:
    try:
        return date.fromisoformat(day.strip()) if day.strip() else None
    except ValueError as exc:
        raise InvalidInput("bad_dates", f"{day[:20]!r} is not a date (YYYY-MM-DD)") from exc


@router.get("/reports")
def reports_page(
    request: Request,
    principal: Reader,
    day: Annotated[str, Query(alias="date", max_length=20)] = "",
) -> Response:
    ctx = context(request)
    chosen = service.report_day(ctx, _asked(day))
    with ctx.transaction() as session:
        report = service.build(session, ctx, principal, chosen, "page")
    base = f"/api/v1/reports/daily?date={chosen.isoformat()}"
    return render(
        request,
        "reports.html",
        principal=principal,
        report=report,
        figures=key_figures(report, principal.lang),
        checkins=[] if report.census is None else checkin_rows(report.census),
        clinic_text=clinic_report(report),
        gate_totals=report.gate_totals(),
        day=chosen.isoformat(),
        exports={fmt: f"{base}&format={fmt}" for fmt in ("csv", "xlsx", "pdf")},
    )


@router.get("/clinic/report")
def clinic_report_page(
    request: Request,
    principal: ClinicReader,
    day: Annotated[str, Query(alias="date", max_length=20)] = "",
) -> Response:
    """The clinic report of a day: its text, census, check-ins, follow-up; TXT/CSV/XLSX/PDF."""
    ctx = context(request)
    chosen = service.report_day(ctx, _asked(day))
    with ctx.transaction() as session:
        report = service.build(session, ctx, principal, chosen, "clinic-page")
    census = report.census
    assert census is not None
    base = f"/api/v1/reports/clinic?date={chosen.isoformat()}"
    return render(
        request,
        "clinic_report.html",
        principal=principal,
        report=report,
        day=chosen.isoformat(),
        clinic_text=clinic_report(report),
        figures=[(t(principal.lang, f"rpt.fig.{key}"), v) for key, v in census_figures(census)],
        checkins=checkin_rows(census),
        followup=census.followup,
        zone=ctx.tz,
        exports={fmt: f"{base}&format={fmt}" for fmt in ("txt", "csv", "xlsx", "pdf")},
    )
