"""Cases in the database: read a case as the lifecycle sees it, write a step. Session as keyword."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.cases.lifecycle import (
    Acknowledge,
    Action,
    Actor,
    CaseState,
    Confirm,
    Measure,
    Observe,
    Refer,
    Release,
    Return,
    Status,
    Step,
    Suspect,
)
from services.storage.models import CASE_RELEASED, CaseEventRow, IsolationCaseRow, PersonRow

assert Status.RELEASED.value == CASE_RELEASED  # one word for "no longer isolates"


def state_of(row: IsolationCaseRow) -> CaseState:
    return CaseState(
        status=Status(row.status),
        acknowledged=row.acknowledged_at is not None,
        confirmed=row.confirmed_at is not None,
        returned=row.returned_at is not None,
        opened_at=row.opened_at,
    )


def find(*, session: Session, site: str, case_id: str) -> IsolationCaseRow | None:
    return session.scalars(
        select(IsolationCaseRow).where(
            IsolationCaseRow.site == site, IsolationCaseRow.case_id == case_id
        )
    ).first()


def isolating_case(*, session: Session, site: str, person_id: str) -> IsolationCaseRow | None:
    """The person's newest case that still isolates them, if any."""
    return session.scalars(
        select(IsolationCaseRow)
        .where(
            IsolationCaseRow.site == site,
            IsolationCaseRow.person_id == person_id,
            IsolationCaseRow.status != CASE_RELEASED,
        )
        .order_by(IsolationCaseRow.opened_at.desc())
        .limit(1)
    ).first()


def _values(action: Action, actor: Actor, now: datetime) -> dict[str, Any]:
    if isinstance(action, Measure):
        return {"clinic_celsius": action.celsius, "clinic_measured_at": now}
    if isinstance(action, Observe):
        return {
            "observation_place": action.place,
            "observation_room": action.room.strip() or None,
            "observation_start": action.start.astimezone(UTC),
            "observation_until": action.until.astimezone(UTC),
        }
    if isinstance(action, Refer):
        return {"hospital": action.hospital.strip(), "transfer_at": action.transfer_at}
    if isinstance(action, Suspect):
        return {"suspected_at": now}
    if isinstance(action, Confirm):
        return {"confirmed_at": now}
    if isinstance(action, Release):
        return {
            "closed_at": now,
            "closed_by": actor.name,
            "outcome": CASE_RELEASED,
            "release_reason": action.reason.strip(),
        }
    if isinstance(action, Return):
        return {
            "returned_at": now,
            "returned_by": actor.name,
            "return_date": action.on.isoformat(),
            "return_certificate": action.certificate.strip(),
        }
    assert isinstance(action, Acknowledge)
    return {}


def write_step(
    *,
    session: Session,
    row: IsolationCaseRow,
    before: CaseState,
    action: Action,
    step: Step,
    actor: Actor,
    now: datetime,
) -> bool:
    """Store ``step``; False when someone changed the case since it was read."""
    values = _values(action, actor, now)
    values["status"] = step.state.status.value
    values["updated_at"] = now
    if step.state.acknowledged and not before.acknowledged:
        values.update(acknowledged_at=now, acknowledged_by=actor.name)
    cases = IsolationCaseRow
    # Only if the case is still as it was read: two clinicians releasing at once, one wins.
    guard = [
        cases.case_id == row.case_id,
        cases.status == before.status.value,
        cases.returned_at.is_(None) if not before.returned else cases.returned_at.is_not(None),
        cases.confirmed_at.is_(None) if not before.confirmed else cases.confirmed_at.is_not(None),
    ]
    result = session.execute(
        update(cases).where(*guard).values(**values).execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    for kind, detail in step.events:
        add_event(session=session, case_id=row.case_id, at=now, kind=kind, actor=actor.name,
                  detail=detail)  # fmt: skip
    session.expire(row)
    return True


def add_event(
    *,
    session: Session,
    case_id: str,
    at: datetime,
    kind: str,
    actor: str = "",
    detail: str = "",
    once: bool = False,
) -> bool:
    """Add a timeline event; with ``once``, only the first of its kind per case (True if added)."""
    values = {
        "case_id": case_id,
        "at": at,
        "kind": kind,
        "actor": actor,
        "detail": detail,
        "dedup_key": f"{case_id}:{kind}" if once else None,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = CaseEventRow.__table__
    assert isinstance(table, Table)
    statement = (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None


def persons(*, session: Session, person_ids: Sequence[str]) -> dict[str, PersonRow]:
    found: dict[str, PersonRow] = {}
    for start in range(0, len(person_ids), 500):
        chunk = list(person_ids[start : start + 500])
        found.update(
            (p.person_id, p)
            for p in session.scalars(select(PersonRow).where(PersonRow.person_id.in_(chunk)))
        )
    return found
