"""Dead letters: notifications that exhausted their retries. Session as keyword."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.storage.models import DeadLetterRow


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    notice_id: str
    channel: str
    target: str
    kind: str
    payload: str
    error: str
    attempts: int
    created_at: datetime
    resolved_at: datetime | None


def _letter(row: DeadLetterRow) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        notice_id=row.notice_id,
        channel=row.channel,
        target=row.target,
        kind=row.kind,
        payload=row.payload,
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


def add_dead_letter(
    *,
    session: Session,
    notice_id: str,
    channel: str,
    target: str,
    kind: str,
    payload: str,
    error: str,
    attempts: int,
    now: datetime,
) -> None:
    session.add(
        DeadLetterRow(
            notice_id=notice_id,
            channel=channel,
            target=target[:2000],
            kind=kind,
            payload=payload,
            error=error[:2000],
            attempts=attempts,
            created_at=now,
        )
    )


def dead_letters(*, session: Session, include_resolved: bool, limit: int) -> list[DeadLetter]:
    query = select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(DeadLetterRow.resolved_at.is_(None))
    return [_letter(r) for r in session.scalars(query)]


def dead_letter(*, session: Session, letter_id: int) -> DeadLetter | None:
    row = session.get(DeadLetterRow, letter_id)
    return None if row is None else _letter(row)


def resolve(*, session: Session, letter_id: int, now: datetime) -> None:
    session.execute(
        update(DeadLetterRow).where(DeadLetterRow.id == letter_id).values(resolved_at=now)
    )
