"""Passes and household exits as the central decision sees them: one query per kind per batch."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kernel.decision.facts import PassFacts
from services.grants import gates_set
from services.storage.models import HouseholdExitRow, TempPassRow

CHUNK = 500
PASSES: Table = TempPassRow.__table__  # type: ignore[assignment]
EXITS: Table = HouseholdExitRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class UsablePass:
    facts: PassFacts  # uses_left as stored, before this batch
    holder_name: str
    id_last4: str
    category: str


@dataclass(frozen=True, slots=True)
class ExitRecord:
    event_id: str
    site: str
    household: str
    person_id: str
    gate: str
    exited_at: datetime


def usable_passes(
    *, session: Session, site: str, pass_ids: Collection[str]
) -> dict[str, UsablePass]:
    """The passes among ``pass_ids`` that are not revoked (windows are the decision's)."""
    c = PASSES.c
    found: dict[str, UsablePass] = {}
    ids = list(pass_ids)
    for start in range(0, len(ids), CHUNK):
        query = select(
            c.pass_id, c.category, c.gates, c.valid_from, c.valid_until, c.max_uses, c.uses,
            c.holder_name, c.id_last4,
        ).where(c.pass_id.in_(ids[start : start + CHUNK]), c.site == site,
                c.revoked_at.is_(None))  # fmt: skip
        for row in session.connection().execute(query):
            left = None if row.max_uses is None else max(0, row.max_uses - row.uses)
            found[row.pass_id] = UsablePass(
                facts=PassFacts(
                    pass_id=row.pass_id,
                    category=row.category,
                    gates=gates_set(row.gates),
                    valid_from=row.valid_from,
                    valid_until=row.valid_until,
                    uses_left=left,
                ),
                holder_name=row.holder_name,
                id_last4=row.id_last4,
                category=row.category,
            )
    return found


def add_pass_uses(*, session: Session, uses: Mapping[str, int]) -> None:
    """Count admitted entries against their passes (one executemany)."""
    if not uses:
        return
    statement = (
        update(PASSES)
        .where(PASSES.c.pass_id == bindparam("b_pass_id"))
        .values(uses=PASSES.c.uses + bindparam("b_n"))
    )
    session.connection().execute(
        statement, [{"b_pass_id": pass_id, "b_n": n} for pass_id, n in uses.items()]
    )


def recent_exits(
    *, session: Session, households: Collection[str], since: datetime
) -> dict[str, list[datetime]]:
    """Exit times after ``since`` of each household, oldest first."""
    c = EXITS.c
    found: dict[str, list[datetime]] = {}
    items = list(households)
    for start in range(0, len(items), CHUNK):
        query = (
            select(c.household, c.exited_at)
            .where(c.household.in_(items[start : start + CHUNK]), c.exited_at > since)
            .order_by(c.exited_at)
        )
        for household, exited_at in session.connection().execute(query):
            found.setdefault(household, []).append(exited_at)
    return found


def record_exits(*, session: Session, exits: Sequence[ExitRecord]) -> None:
    if not exits:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(EXITS).on_conflict_do_nothing(index_elements=["event_id"])
    rows = [
        {"event_id": e.event_id, "site": e.site, "household": e.household,
         "person_id": e.person_id, "gate": e.gate, "exited_at": e.exited_at}
        for e in exits
    ]  # fmt: skip
    session.connection().execute(statement, rows)
