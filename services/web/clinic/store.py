"""Queries and updates of isolation cases and their timeline. Session as keyword."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from services.storage.models import CASE_RELEASED, CaseEventRow, IsolationCaseRow, PersonRow

OPEN = "open"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    at: datetime
    kind: str
    actor: str
    detail: str


def _with_person(query: Any) -> Any:
    return query.outerjoin(PersonRow, PersonRow.person_id == IsolationCaseRow.person_id)


def cases(
    *, session: Session, site: str, include_closed: bool, limit: int, escalated_only: bool = False
) -> Sequence[tuple[IsolationCaseRow, PersonRow | None]]:
    query = _with_person(select(IsolationCaseRow, PersonRow)).where(IsolationCaseRow.site == site)
    if not include_closed:
        # Still isolating, or released but suspended until the return (复学) is recorded.
        query = query.where(
            or_(
                IsolationCaseRow.status != CASE_RELEASED,
                and_(
                    IsolationCaseRow.confirmed_at.is_not(None),
                    IsolationCaseRow.returned_at.is_(None),
                ),
            )
        )
    if escalated_only:
        query = query.where(
            IsolationCaseRow.escalated_at.is_not(None), IsolationCaseRow.acknowledged_at.is_(None)
        )
    query = query.order_by(IsolationCaseRow.opened_at.desc()).limit(limit)
    return [(c, p) for c, p in session.execute(query)]


def case(
    *, session: Session, site: str, case_id: str
) -> tuple[IsolationCaseRow, PersonRow | None] | None:
    query = _with_person(select(IsolationCaseRow, PersonRow)).where(
        IsolationCaseRow.site == site, IsolationCaseRow.case_id == case_id
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def due_for_escalation(*, session: Session, site: str, opened_before: datetime) -> list[str]:
    return list(
        session.scalars(
            select(IsolationCaseRow.case_id).where(
                IsolationCaseRow.site == site,
                IsolationCaseRow.status == OPEN,
                IsolationCaseRow.acknowledged_at.is_(None),
                IsolationCaseRow.escalated_at.is_(None),
                IsolationCaseRow.opened_at <= opened_before,
            )
        )
    )


def mark_escalated(*, session: Session, site: str, case_id: str, now: datetime) -> bool:
    """Escalate one case; False if someone acknowledged or escalated it meanwhile."""
    result = session.execute(
        update(IsolationCaseRow)
        .where(
            IsolationCaseRow.site == site,
            IsolationCaseRow.case_id == case_id,
            IsolationCaseRow.acknowledged_at.is_(None),
            IsolationCaseRow.escalated_at.is_(None),
        )
        .values(escalated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def events(*, session: Session, case_id: str) -> list[CaseEvent]:
    rows = session.scalars(
        select(CaseEventRow)
        .where(CaseEventRow.case_id == case_id)
        .order_by(CaseEventRow.at, CaseEventRow.id)
    )
    return [CaseEvent(r.at, r.kind, r.actor, r.detail) for r in rows]
