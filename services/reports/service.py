"""Producing report files: one call for the CLI, the scheduler and a page's download."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from services.reports.daily import DailyReport, daily_report
from services.reports.render import ReportFormat, write_report
from services.storage.audit_log import log_action
from services.storage.models import ReportRunRow
from ui.i18n import Lang

FORMATS: tuple[ReportFormat, ...] = ("csv", "xlsx", "pdf")


def report_path(out_dir: Path, site: str, day: date, fmt: ReportFormat) -> Path:
    return out_dir / f"{site}-daily-{day.isoformat()}.{fmt}"


def produce_daily(
    *,
    session: Session,
    site: str,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    path: Path,
    fmt: ReportFormat,
    actor: str,
    report: DailyReport | None = None,
    lang: Lang | None = None,
) -> DailyReport:
    """Write one report file atomically and record it (path, SHA-256, zero or not)."""
    report = report or daily_report(session=session, site=site, day=day, tz=tz, now=now)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    write_report(report, temporary, fmt, lang)
    os.replace(temporary, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    row = session.get(ReportRunRow, (site, day.isoformat(), fmt))
    if row is None:
        row = ReportRunRow(site=site, day=day.isoformat(), format=fmt)
        session.add(row)
    row.produced_at, row.path, row.sha256, row.zero = now, str(path), digest, report.zero
    log_action(
        session,
        at=now,
        actor=actor,
        role="report",
        action="report.daily",
        target=f"{site}/{day.isoformat()}",
        count=report.entries,
        params={
            "format": fmt,
            "path": str(path),
            "sha256": digest,
            "zero": report.zero,
            "chain_anchor": report.chain_anchor,
        },
    )
    session.flush()
    return report


def produced(*, session: Session, site: str, day: date, fmt: ReportFormat) -> bool:
    return session.get(ReportRunRow, (site, day.isoformat(), fmt)) is not None
