"""The facts of a whole batch of passages, loaded at once: one query per kind, never per passage.

:func:`load_batch_facts` takes what a batch names (persons, ID-number hashes, card numbers,
appointments, passes, one-time codes, how far back household exits count, plates) and
returns a :class:`BatchFacts`: the :class:`~kernel.decision.gather.FactSource`
the batch's decisions are gathered from.  Each look-up runs only when the batch
needs it, in chunks of :data:`~services.storage.hotpath.CHUNK` values; persons,
locked gates and used codes go through the hot path's prepared text.

The batch's own admissions count too: :meth:`BatchFacts.apply` adds a
decision's aftermath (a spent code, an exit, a pass use), so two passages in one
batch cannot both take the last use, the last exit or a one-time code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from kernel.decision.aftermath import Aftermath
from kernel.decision.facts import AppointmentFacts, PassFacts, PersonFacts
from kernel.masking import mask_id_number
from services.storage.hotpath import chunked, gate_set, hot_path
from services.storage.models import AppointmentRow, HouseholdExitRow, TempPassRow
from services.storage.visitor_models import PlateRow, VisitorRequestRow

APPOINTMENTS: Table = AppointmentRow.__table__  # type: ignore[assignment]
PASSES: Table = TempPassRow.__table__  # type: ignore[assignment]
EXITS: Table = HouseholdExitRow.__table__  # type: ignore[assignment]
PLATES: Table = PlateRow.__table__  # type: ignore[assignment]
VISITS: Table = VisitorRequestRow.__table__  # type: ignore[assignment]
Window = tuple[datetime | None, datetime | None]  # when a plate may enter (None: open end)


@dataclass(frozen=True, slots=True)
class FactQuery:
    """What one batch names; an empty kind is not looked up at all."""

    site: str
    person_ids: frozenset[str] = frozenset()
    id_hashes: frozenset[str] = frozenset()
    card_nos: frozenset[str] = frozenset()  # campus IC-card numbers read or typed
    appointment_ids: frozenset[str] = frozenset()
    pass_ids: frozenset[str] = frozenset()
    jtis: frozenset[str] = frozenset()  # one-time codes: which were spent already
    exits_after: datetime | None = None  # household exits after this count; None: none do
    plates: frozenset[str] = frozenset()  # vehicles at a vehicle lane


class BatchFacts:
    """A FactSource answering from the rows loaded for the batch, plus the batch's own doings."""

    def __init__(
        self,
        *,
        persons: dict[str, PersonFacts],
        by_hash: dict[str, PersonFacts] | None = None,
        by_card: dict[str, PersonFacts] | None = None,
        locked: set[str] | None = None,
        appointments: dict[str, AppointmentFacts] | None = None,
        passes: dict[str, PassFacts] | None = None,
        exits: dict[str, list[datetime]] | None = None,
        used: set[str] | None = None,
        hash_plain_id: Callable[[str], str] | None = None,
        plates: dict[str, list[Window]] | None = None,
    ) -> None:
        self._persons = persons
        self._by_hash = by_hash or {}
        self._by_card = by_card or {}
        self._locked = locked or set()
        self._appointments = appointments or {}
        self._passes = passes or {}
        self._exits = exits or {}
        self._used = used or set()
        self._hash = hash_plain_id
        self._uses_in_batch: Counter[str] = Counter()
        self._plates = plates or {}

    # -- FactSource ----------------------------------------------------------------

    def person(self, person_id: str) -> PersonFacts | None:
        return self._persons.get(person_id)

    def person_by_plain_id(self, value: str) -> PersonFacts | None:
        """A person id, then a campus card number, then an ID-document number's keyed hash."""
        found = self._persons.get(value) or self._by_card.get(value)
        if found is None and self._hash is not None:
            found = self._by_hash.get(self._hash(value))
        return found

    def appointment(self, reference: str) -> AppointmentFacts | None:
        return self._appointments.get(reference)

    def temp_pass(self, reference: str) -> PassFacts | None:
        found = self._passes.get(reference)
        used = self._uses_in_batch[reference]
        if found is None or found.uses_left is None or not used:
            return found
        return replace(found, uses_left=max(0, found.uses_left - used))

    def gate_locked(self, site: str, gate: str) -> bool:
        return gate in self._locked

    def plate_allowed(self, plate: str, now: datetime) -> bool:
        return plate_in_windows(self._plates.get(plate, ()), now)

    # -- the rest a decision reads -------------------------------------------------

    def exits_since(self, household: str, since: datetime) -> int:
        return sum(1 for at in self._exits.get(household, ()) if at > since)

    def code_used(self, jti: str) -> bool:
        return jti in self._used

    def apply(self, after: Aftermath) -> None:
        """Count an admission's aftermath for the passages after it in the batch."""
        self._used.update(after.spent_codes)
        if after.household_exit is not None:
            leaving = after.household_exit
            self._exits.setdefault(leaving.household, []).append(leaving.at)
        if after.pass_use is not None:
            self._uses_in_batch[after.pass_use] += 1


def load_batch_facts(
    *, session: Session, query: FactQuery, hash_plain_id: Callable[[str], str] | None = None
) -> BatchFacts:
    """Everything ``query`` names, one statement per kind (persons and locked gates: one trip)."""
    statements, cursor = hot_path(session)
    with closing(cursor):
        persons, locked = statements.persons_and_locked_gates(cursor, query.person_ids, query.site)
        by_hash = statements.persons(cursor, "id_hash", query.id_hashes) if query.id_hashes else {}
        by_card = statements.persons(cursor, "card_no", query.card_nos) if query.card_nos else {}
        used = statements.used_jtis(cursor, query.jtis) if query.jtis else set()
    found = [*persons.values(), *by_hash.values(), *by_card.values()]
    households = {p.household for p in found if p.household}
    exits = (
        _recent_exits(session, households, query.exits_after)
        if query.exits_after is not None and households
        else {}
    )
    return BatchFacts(
        persons=persons,
        by_hash=by_hash,
        by_card=by_card,
        locked=locked,
        appointments=_appointments(session, query.site, query.appointment_ids),
        passes=_passes(session, query.site, query.pass_ids),
        exits=exits,
        used=used,
        hash_plain_id=hash_plain_id,
        plates=plate_windows(session, query.site, query.plates) if query.plates else {},
    )


def _rows(
    session: Session, ids: Collection[str], select_chunk: Callable[[list[str]], Any]
) -> Iterator[Any]:
    """The rows of ``select_chunk(chunk)`` over ``ids`` in chunks (nothing asked: no query)."""
    connection = session.connection()
    for chunk in chunked(sorted(ids)):
        yield from connection.execute(select_chunk(list(chunk)))


def _appointments(session: Session, site: str, ids: Collection[str]) -> dict[str, AppointmentFacts]:
    """The approved appointments among ``ids`` (refused, cancelled: absent)."""
    c = APPOINTMENTS.c
    columns = (c.appointment_id, c.visitor_name, c.gates, c.valid_from, c.valid_until, c.id_last4)
    rows = _rows(session, ids, lambda chunk: select(*columns).where(
        c.appointment_id.in_(chunk), c.site == site, c.status == "approved",
    ))  # fmt: skip
    return {
        row.appointment_id: AppointmentFacts(
            appointment_id=row.appointment_id,
            visitor_name=row.visitor_name,
            gates=gate_set(row.gates),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            masked_id=mask_id_number(row.id_last4),
        )
        for row in rows
    }


def _passes(session: Session, site: str, ids: Collection[str]) -> dict[str, PassFacts]:
    """The passes among ``ids`` that are not revoked (windows are the decision's)."""
    c = PASSES.c
    columns = (c.pass_id, c.category, c.gates, c.valid_from, c.valid_until, c.max_uses, c.uses,
               c.holder_name, c.id_last4)  # fmt: skip
    rows = _rows(session, ids, lambda chunk: select(*columns).where(
        c.pass_id.in_(chunk), c.site == site, c.revoked_at.is_(None),
    ))  # fmt: skip
    return {
        row.pass_id: PassFacts(
            pass_id=row.pass_id,
            category=row.category,
            gates=gate_set(row.gates),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            uses_left=None if row.max_uses is None else max(0, row.max_uses - row.uses),
            holder_name=row.holder_name,
            masked_id=mask_id_number(row.id_last4),
        )
        for row in rows
    }


def _recent_exits(
    session: Session, households: Collection[str], since: datetime
) -> dict[str, list[datetime]]:
    """Exit times after ``since`` of each household, oldest first."""
    c = EXITS.c
    rows = _rows(session, households, lambda chunk: select(c.household, c.exited_at)
                 .where(c.household.in_(chunk), c.exited_at > since)
                 .order_by(c.exited_at))  # fmt: skip
    found: dict[str, list[datetime]] = {}
    for household, exited_at in rows:
        found.setdefault(household, []).append(exited_at)
    return found


def plate_in_windows(windows: Iterable[Window], now: datetime) -> bool:
    return any((start is None or start <= now) and (end is None or now <= end)
               for start, end in windows)  # fmt: skip


def plate_windows(session: Session, site: str, plates: Collection[str]) -> dict[str, list[Window]]:
    """When each plate may enter: its whitelist validity, and approved visits that bring it."""
    found: dict[str, list[Window]] = {}
    p, v, a = PLATES.c, VISITS.c, APPOINTMENTS.c
    whitelisted = _rows(session, plates, lambda chunk: select(p.plate, p.valid_from, p.valid_until)
                        .where(p.site == site, p.plate.in_(chunk)))  # fmt: skip
    booked = _rows(session, plates, lambda chunk: select(v.plate, a.valid_from, a.valid_until)
                   .join(APPOINTMENTS, a.appointment_id == v.appointment_id)
                   .where(a.site == site, a.status == "approved", v.plate.in_(chunk)))  # fmt: skip
    for plate, start, end in [*whitelisted, *booked]:
        found.setdefault(plate, []).append((start, end))
    return found
