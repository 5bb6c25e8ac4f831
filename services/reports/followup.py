"""The clinic report's follow-up of cases under observation (issue 17): of the cases in
observation at the end of the day, those with a twice-daily reading missed or their
planned end passed without release, judged at the end of the day (now, for today) by
the pure :func:`services.cases.followup.follow_up`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases.observed import follow_ups
from services.reports.census import FollowUpLine, held_steps
from services.storage.models import IsolationCaseRow


def observation_followup(
    session: Session,
    site: str,
    *,
    end: datetime,
    now: datetime,
    zone: ZoneInfo,
    deadlines: Mapping[str, time],
) -> list[FollowUpLine]:
    _alive, last = held_steps(session, site, end)
    observed = sorted(case_id for case_id, kind in last.items() if kind == "observation")
    if not observed:
        return []
    rows = list(session.scalars(select(IsolationCaseRow).where(
        IsolationCaseRow.case_id.in_(observed))))  # fmt: skip
    judged = follow_ups(session=session, rows=rows, now=min(end, now), zone=zone,
                        deadlines=deadlines, any_status=True)  # fmt: skip
    lines = []
    for row in sorted(rows, key=lambda r: r.case_id):
        found = judged.get(row.case_id)
        if found is not None and found.flags and row.observation_until is not None:
            line = FollowUpLine(case_id=row.case_id, until=row.observation_until,
                                flags=list(found.flags), missed=found.missed_text())  # fmt: skip
            lines.append(line)
    return lines
