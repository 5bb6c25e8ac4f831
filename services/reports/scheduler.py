"""Daily jobs at a configured local time, with an injected clock: reports, then retention.

``run_pending`` is idempotent: it produces what is due and not yet recorded
(the previous day's report once the configured time has passed, catching up
missed days), so a scheduler restarted at any moment neither skips nor
repeats a day.  ``run_forever`` polls it until stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kernel.clock import Clock
from kernel.errors import ConfigError
from services.reports.daily import daily_report
from services.reports.render import ReportFormat
from services.reports.service import produce_daily, produced, report_path

log = logging.getLogger(__name__)
CATCH_UP_DAYS = 7
POLL_S = 30.0


@dataclass
class DailyScheduler:
    sessions: Callable[[], Session]
    clock: Clock
    site: str
    tz: ZoneInfo
    at: time
    out_dir: Path
    formats: Sequence[ReportFormat] = ("pdf",)
    catch_up_days: int = CATCH_UP_DAYS
    # Run once a day after the reports (the retention job); gets the current time.
    after_reports: list[Callable[[datetime], object]] = field(default_factory=list)
    _after_done: date | None = None

    def due_days(self, now: datetime) -> list[date]:
        """Complete local days whose report should exist by now, oldest first."""
        local = now.astimezone(self.tz)
        latest = local.date() - timedelta(days=1 if local.time() >= self.at else 2)
        return [latest - timedelta(days=k) for k in reversed(range(self.catch_up_days))]

    def run_pending(self) -> list[Path]:
        now = self.clock.now()
        written: list[Path] = []
        for day in self.due_days(now):
            with self.sessions() as session, session.begin():
                missing = [
                    f
                    for f in self.formats
                    if not produced(session=session, site=self.site, day=day, fmt=f)
                ]
                if not missing:
                    continue
                report = daily_report(session=session, site=self.site, day=day, tz=self.tz, now=now)
                for fmt in missing:
                    path = report_path(self.out_dir, self.site, day, fmt)
                    produce_daily(
                        session=session,
                        site=self.site,
                        day=day,
                        tz=self.tz,
                        now=now,
                        path=path,
                        fmt=fmt,
                        actor="scheduler",
                        report=report,
                    )
                    written.append(path)
                    log.info(
                        "daily report %s written%s", path, " (zero report)" if report.zero else ""
                    )
        local = now.astimezone(self.tz)
        if self.after_reports and local.time() >= self.at and self._after_done != local.date():
            for job in self.after_reports:
                job(now)
            self._after_done = local.date()
        return written

    def run_forever(self, stop: threading.Event, poll_s: float = POLL_S) -> None:
        while not stop.is_set():
            try:
                self.run_pending()
            except Exception:
                log.exception("scheduled daily job failed; trying again in %.0f s", poll_s)
            stop.wait(poll_s)


def parse_at(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"bad time of day {text!r} (e.g. 07:00)") from exc
