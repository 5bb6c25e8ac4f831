"""Cases under observation and their readings, read from the database, and their
follow-up flags (:func:`services.cases.followup.follow_up`).  Session as keyword.

Two queries whatever the number of cases: the clinic's ``remeasured`` steps of
those cases, and the daily check-ins of their people since the first start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases.checkins import DEADLINES, Slot
from services.cases.followup import FollowUp, Measured, Observation, Reading, Reported, follow_up
from services.cases.lifecycle import Status
from services.storage.health_models import CheckinRow
from services.storage.models import CaseEventRow, IsolationCaseRow

CHUNK = 500


def observation_of(row: IsolationCaseRow) -> Observation | None:
    if row.observation_start is None or row.observation_until is None:
        return None
    return Observation(row.observation_start, row.observation_until)


def follow_ups(
    *,
    session: Session,
    rows: Sequence[IsolationCaseRow],
    now: datetime,
    zone: ZoneInfo,
    deadlines: Mapping[str, time] = DEADLINES,
    any_status: bool = False,
) -> dict[str, FollowUp]:
    """Per case under observation among ``rows`` (``any_status``: every row that has an
    observation, as the report asks of the cases observed at the end of a past day)."""
    observed = {
        r.case_id: (r, o)
        for r in rows
        if (any_status or r.status == Status.OBSERVATION.value)
        and (o := observation_of(r)) is not None
    }
    if not observed:
        return {}
    readings: dict[str, list[Reading]] = {case_id: [] for case_id in observed}
    ids = list(observed)
    for start in range(0, len(ids), CHUNK):
        query = select(CaseEventRow.case_id, CaseEventRow.at).where(
            CaseEventRow.case_id.in_(ids[start : start + CHUNK]),
            CaseEventRow.kind == "remeasured",
        )
        for case_id, at in session.execute(query):
            readings[case_id].append(Measured(at))
    for case_id, reported in _checkins(session, observed, zone).items():
        readings[case_id].extend(reported)
    return {
        case_id: follow_up(o, readings[case_id], now=now, zone=zone, deadlines=deadlines)
        for case_id, (_row, o) in observed.items()
    }


def _checkins(
    session: Session, observed: dict[str, tuple[IsolationCaseRow, Observation]], zone: ZoneInfo
) -> dict[str, list[Reading]]:
    cases_of: dict[tuple[str, str], list[str]] = {}
    for case_id, (row, _o) in observed.items():
        if row.person_id:
            cases_of.setdefault((row.site, row.person_id), []).append(case_id)
    if not cases_of:
        return {}
    first = min(o.start for _r, o in observed.values()).astimezone(zone).date().isoformat()
    people = sorted({person for _site, person in cases_of})
    found: dict[str, list[Reading]] = {}
    for start in range(0, len(people), CHUNK):
        query = select(
            CheckinRow.site, CheckinRow.person_id, CheckinRow.day, CheckinRow.slot
        ).where(CheckinRow.person_id.in_(people[start : start + CHUNK]), CheckinRow.day >= first)
        for site, person_id, day, slot in session.execute(query):
            for case_id in cases_of.get((site, person_id), []):
                found.setdefault(case_id, []).append(Reported(date.fromisoformat(day), Slot(slot)))
    return found
