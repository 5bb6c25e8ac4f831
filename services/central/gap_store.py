"""The statements of the passage-numbering check (:mod:`services.central.gaps`).

Each takes the session as a keyword argument and runs inside the caller's
transaction.  Several workers run the same check: a stream's ``checked_to``
only ever moves up, and a gap is recorded once (unique site, gate, stream, n);
whoever recorded it is the one who reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.storage.models import EntryRow
from services.storage.stream_models import PassageGapRow, PassageStreamRow

STREAMS: Table = PassageStreamRow.__table__  # type: ignore[assignment]
GAPS: Table = PassageGapRow.__table__  # type: ignore[assignment]


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def checked_to(*, session: Session, site: str, gate: str, stream: str) -> int:
    """How far the stream is checked (0: not yet)."""
    found = session.scalar(
        select(PassageStreamRow.checked_to).where(
            PassageStreamRow.site == site,
            PassageStreamRow.gate == gate,
            PassageStreamRow.stream == stream,
        )
    )
    return int(found or 0)


def received_after(
    *, session: Session, site: str, gate: str, stream: str, after: int, limit: int
) -> list[int]:
    """The numbers logged for the stream above ``after``, ascending, at most ``limit``."""
    rows = session.scalars(
        select(EntryRow.seq_n)
        .where(
            EntryRow.site == site,
            EntryRow.gate == gate,
            EntryRow.seq_stream == stream,
            EntryRow.seq_n > after,
        )
        .order_by(EntryRow.seq_n)
        .limit(limit)
    )
    return [int(n) for n in rows if n is not None]


def move_checked_to(
    *, session: Session, site: str, gate: str, stream: str, to: int, now: datetime
) -> None:
    """Raise the stream's ``checked_to`` to ``to`` (never lower it: another worker may be ahead)."""
    statement = _insert(session, STREAMS).values(
        site=site, gate=gate, stream=stream, checked_to=to, updated_at=now
    )
    higher = case(
        (STREAMS.c.checked_to > statement.excluded.checked_to, STREAMS.c.checked_to),
        else_=statement.excluded.checked_to,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["site", "gate", "stream"],
            set_={"checked_to": higher, "updated_at": now},
        )
    )


def record_gaps(
    *, session: Session, site: str, gate: str, stream: str, numbers: Sequence[int], now: datetime
) -> list[int]:
    """Record missing numbers; returns those recorded by this call (not known before)."""
    if not numbers:
        return []
    statement = (
        _insert(session, GAPS)
        .on_conflict_do_nothing(index_elements=["site", "gate", "stream", "n"])
        .returning(GAPS.c.n)
    )
    where = {"site": site, "gate": gate, "stream": stream}
    values = [{**where, "n": n, "detected_at": now, "filled_at": None} for n in numbers]
    return sorted(int(n) for n in session.execute(statement, values).scalars())


def mark_filled(*, session: Session, site: str, now: datetime) -> list[tuple[str, str, int]]:
    """Close the open gaps whose passage has arrived since; returns them (gate, stream, n)."""
    arrived = exists().where(
        and_(
            EntryRow.site == GAPS.c.site,
            EntryRow.gate == GAPS.c.gate,
            EntryRow.seq_stream == GAPS.c.stream,
            EntryRow.seq_n == GAPS.c.n,
        )
    )
    statement = (
        update(GAPS)
        .where(GAPS.c.site == site, GAPS.c.filled_at.is_(None), arrived)
        .values(filled_at=now)
        .returning(GAPS.c.gate, GAPS.c.stream, GAPS.c.n)
    )
    return [(str(g), str(s), int(n)) for g, s, n in session.execute(statement)]


def open_gaps(*, session: Session, site: str) -> dict[str, list[int]]:
    """Gate -> the numbers still missing (any stream), for asking again."""
    rows = session.execute(
        select(GAPS.c.gate, GAPS.c.n)
        .where(GAPS.c.site == site, GAPS.c.filled_at.is_(None))
        .order_by(GAPS.c.gate, GAPS.c.n)
    )
    missing: dict[str, list[int]] = {}
    for gate, n in rows:
        missing.setdefault(str(gate), []).append(int(n))
    return missing
