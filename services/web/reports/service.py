"""The daily report for one local day, built by ``services.reports`` as the CLI builds it.

Reports hold counts, never names, so every role that may read them sees the
same thing.  Each one asked for is written to the audit log (who, which day,
which format) in the caller's transaction.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from services.reports.clinic_render import MEDIA_TYPES as CLINIC_MEDIA_TYPES
from services.reports.clinic_render import ClinicFormat, write_clinic_report
from services.reports.daily import DailyReport, daily_report
from services.reports.render import ReportFormat, write_report
from services.storage.audit_log import log_action
from services.web.audit.service import FIRST_DAY, LAST_DAY, Download
from services.web.auth.roles import Principal
from services.web.context import WebContext
from services.web.errors import InvalidInput
from ui.i18n import Lang

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_day(ctx: WebContext, day: date | None) -> date:
    """The day asked for (default: yesterday, the last whole day), within sane bounds."""
    today = ctx.now().astimezone(ctx.tz).date()
    chosen = day or today - timedelta(days=1)
    if not FIRST_DAY <= chosen <= LAST_DAY:
        raise InvalidInput("bad_dates", f"{chosen} is outside {FIRST_DAY}..{LAST_DAY}")
    return chosen


def build(
    session: Session, ctx: WebContext, principal: Principal, day: date, fmt: str
) -> DailyReport:
    web = ctx.settings.web
    limits = {"morning": web.checkin_morning_deadline, "noon": web.checkin_noon_deadline}
    report = daily_report(session=session, site=ctx.site, day=day, tz=ctx.tz, now=ctx.now(),
                          deadlines=limits)  # fmt: skip
    log_action(
        session,
        at=ctx.now(),
        actor=principal.username,
        role=principal.role.value,
        action="report.daily",
        target=f"{ctx.site}/{day.isoformat()}",
        count=report.entries,
        params={"format": fmt},
    )
    return report


def clinic_download(report: DailyReport, fmt: ClinicFormat) -> Download:
    """The clinic report (上报) as a file, named for its site and day."""
    with tempfile.TemporaryDirectory(prefix="cg-clinic-") as folder:
        path = Path(folder) / f"clinic.{fmt}"
        write_clinic_report(report, path, fmt)
        content = path.read_bytes()
    name = f"clinic-{report.site}-{report.day.isoformat()}.{fmt}"
    return Download(name, CLINIC_MEDIA_TYPES[fmt], content)


def download(report: DailyReport, fmt: ReportFormat, lang: Lang) -> Download:
    """The report file in the asker's language."""
    with tempfile.TemporaryDirectory(prefix="cg-report-") as folder:
        path = Path(folder) / f"report.{fmt}"
        write_report(report, path, fmt, lang)
        content = path.read_bytes()
    name = f"daily-{report.site}-{report.day.isoformat()}.{fmt}"
    return Download(name, MEDIA_TYPES[fmt], content)
