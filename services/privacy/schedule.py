"""The retention job once a day at a site-local time, idempotent across restarts.

``due(now)`` is true once the local time of day has passed ``at`` and no run of
this job is recorded since that moment today (``retention_runs``, written in
the same transaction as the run), so a job restarted after its run does not run
again that day, and one that was down at ``at`` runs as soon as it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.audit.chain import seal_all
from services.privacy.retention import Mode, RetentionResult, run_retention
from services.storage.models import RetentionRunRow

log = logging.getLogger(__name__)
ACTOR = "retention-schedule"


@dataclass
class DailyRetention:
    sessions: Callable[[], Session]
    now: Callable[[], datetime]
    tz: ZoneInfo
    at: time
    days: int
    mode: Mode = "anonymise"

    def today_at(self, now: datetime) -> datetime:
        local = now.astimezone(self.tz)
        return datetime.combine(local.date(), self.at, tzinfo=self.tz)

    def due(self, now: datetime) -> bool:
        start = self.today_at(now)
        if now < start:
            return False
        with self.sessions() as session:
            last = session.scalar(
                select(func.max(RetentionRunRow.run_at)).where(RetentionRunRow.actor == ACTOR)
            )
        return last is None or last < start

    def run_pending(self) -> RetentionResult | None:
        now = self.now()
        if not self.due(now):
            return None
        seal_all(sessions=self.sessions, now=self.now)
        with self.sessions() as session, session.begin():
            result = run_retention(
                session=session, days=self.days, mode=self.mode, now=now, actor=ACTOR
            )
        log.info(
            "retention run %s: %s %d entr(ies) before %s",
            result.run_id, result.mode, result.entries, result.cutoff.isoformat(),
        )  # fmt: skip
        return result
