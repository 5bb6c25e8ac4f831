"""The central's per-batch statements, as SQL text run on the driver's own cursor.

Why not through SQLAlchemy: there each statement costs 0.1-0.15 ms of Python
(building the expression, its cache key, result set-up), more than SQLite needs
to run it, and a one-passage batch makes four of them: that was most of the
passage -> decision round trip.  Here the text is built once per dialect from
the models' own tables and columns, and every value goes through the column
type's own bind and result processors, so what is written and read here is
exactly what the ORM writes and reads.  Transactions stay SQLAlchemy's: these
run on the connection of the caller's session, inside its transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor as Cursor
from sqlalchemy.orm import Session

from kernel.decision.facts import PersonFacts
from kernel.masking import mask_id_number
from services.storage.models import (
    CASE_RELEASED,
    EntryRow,
    GateStateRow,
    IsolationCaseRow,
    PersonRow,
    UsedCodeRow,
)
from services.storage.records import EntryRecord

if TYPE_CHECKING:
    import psycopg

# SQLite allows 32766 bound parameters: 500 entries x 20 columns stays well below.
CHUNK = 500

Processor = Callable[[Any], Any] | None
T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``: every batch look-up and insert goes by these."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def gate_set(text: str) -> frozenset[str] | None:
    """A stored gate list (``*`` or ``a;b``) as the decision reads it: None is every gate."""
    return None if text.strip() == "*" else frozenset(g for g in text.split(";") if g)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class HotPath:
    """The central's hot statements for one dialect (``sqlite`` or ``postgresql``)."""

    PERSON_COLUMNS = (
        "person_id", "name", "kind", "id_last4", "active", "valid_from", "valid_until",
        "gates", "return_approved", "household", "id_hash", "card_no",
    )  # fmt: skip
    LOOKUP_COLUMNS = ("person_id", "id_hash", "card_no")

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"
        # sqlite3 takes qmark placeholders, psycopg positional %s.
        self.mark = "%s" if self.postgres else "?"
        persons = _table(PersonRow)
        self._person_readers = [self._reader(persons.c[name]) for name in self.PERSON_COLUMNS]
        self._entries = _table(EntryRow)
        self._entry_columns = [c for c in self._entries.columns if not c.primary_key]
        self._entry_writers = [self._writer(c) for c in self._entry_columns]
        cases = _table(IsolationCaseRow).name
        select_list = ", ".join(f"p.{name}" for name in self.PERSON_COLUMNS)
        # Only the models' identifiers are spliced into the text; values are always bound.
        self._persons_sql = (
            f"SELECT {select_list}, (SELECT c.case_id FROM {cases} c "  # noqa: S608
            f"WHERE c.person_id = p.person_id AND c.status <> '{CASE_RELEASED}' "
            f"ORDER BY c.opened_at DESC LIMIT 1), (SELECT c.case_id FROM {cases} c "
            "WHERE c.person_id = p.person_id AND c.confirmed_at IS NOT NULL "
            f"AND c.returned_at IS NULL LIMIT 1) FROM {persons.name} p WHERE p.{{column}} "
        )
        gates = _table(GateStateRow).name
        self._locked_sql = f"SELECT gate FROM {gates} WHERE site = {self.mark} AND locked"  # noqa: S608
        self._used_sql = f"SELECT jti FROM {_table(UsedCodeRow).name} WHERE jti "  # noqa: S608
        entries = self._entries.name
        self._stored_sql = f"SELECT event_id, decision_json FROM {entries} WHERE event_id "  # noqa: S608
        self._insert_sql = lru_cache(maxsize=32)(self._insert_text)

    # The dialect's own variant of each type (SQLite's DATETIME keeps a fixed text
    # format, for instance), exactly as SQLAlchemy would process the value.
    def _reader(self, column: Column[Any]) -> Processor:
        return column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)

    def _writer(self, column: Column[Any]) -> Processor:
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _member_of(self, values: Sequence[str]) -> tuple[str, list[Any]]:
        """``IN`` the given values: one array parameter on PostgreSQL, a list on SQLite."""
        if self.postgres:
            return "= ANY(%s)", [list(values)]
        return f"IN ({', '.join('?' * len(values))})", list(values)

    def _insert_text(self, rows: int) -> str:
        names = ", ".join(c.name for c in self._entry_columns)
        one = "(" + ", ".join(self.mark for _ in self._entry_columns) + ")"
        return (
            f"INSERT INTO {self._entries.name} ({names}) VALUES {', '.join([one] * rows)} "  # noqa: S608
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        )

    @staticmethod
    def _run(cursor: Cursor, sql: str, params: Sequence[Any]) -> Sequence[Any]:
        cursor.execute(sql, params)
        return cursor.fetchall()

    # -- reads -------------------------------------------------------------------

    def persons(
        self, cursor: Cursor, column: str, values: Collection[str]
    ) -> dict[str, PersonFacts]:
        """PersonFacts keyed by ``column`` (person_id, id_hash or card_no), with the open case."""
        if column not in self.LOOKUP_COLUMNS:
            raise ValueError(f"persons are looked up by {self.LOOKUP_COLUMNS}, not {column!r}")
        found: dict[str, PersonFacts] = {}
        for chunk in chunked(sorted(values)):
            member, params = self._member_of(chunk)
            sql = self._persons_sql.format(column=column) + member
            found.update(self._person_rows(self._run(cursor, sql, params), column))
        return found

    def _person_rows(self, rows: Sequence[Any], column: str) -> dict[str, PersonFacts]:
        key = self.PERSON_COLUMNS.index(column)
        found: dict[str, PersonFacts] = {}
        for raw in rows:
            row = [f(v) if f else v for f, v in zip(self._person_readers, raw, strict=False)]
            found[row[key]] = self._person_facts(row, raw[-2], suspended=raw[-1] is not None)
        return found

    @staticmethod
    def _person_facts(row: list[Any], open_case: str | None, *, suspended: bool) -> PersonFacts:
        (person_id, name, kind, last4, active, valid_from, valid_until, gates,
         return_approved, household, _id_hash, _card_no) = row  # fmt: skip
        return PersonFacts(
            person_id=person_id,
            name=name,
            kind=kind,
            masked_id=mask_id_number(last4),
            active=bool(active),
            valid_from=valid_from,
            valid_until=valid_until,
            gates=gate_set(gates),
            return_approved=bool(return_approved),
            household=household,
            open_case_id=open_case,
            suspended=suspended,
        )

    def persons_and_locked_gates(
        self, cursor: Cursor, person_ids: Collection[str], site: str
    ) -> tuple[dict[str, PersonFacts], set[str]]:
        """Both look-ups every batch makes; on PostgreSQL in one round trip, not three.

        psycopg's pipeline sends the transaction's BEGIN and both queries at
        once and reads the answers together.
        """
        if not self.postgres or len(person_ids) > CHUNK:
            return self.persons(cursor, "person_id", person_ids), self.locked_gates(cursor, site)
        connection = cast("psycopg.Connection[Any]", cursor.connection)
        member, params = self._member_of(sorted(person_ids))
        with connection.cursor() as locks:
            with connection.pipeline():
                cursor.execute(self._persons_sql.format(column="person_id") + member, params)
                locks.execute(self._locked_sql, [site])
            persons = self._person_rows(cursor.fetchall(), "person_id")
            return persons, {gate for (gate,) in locks.fetchall()}

    def locked_gates(self, cursor: Cursor, site: str) -> set[str]:
        return {gate for (gate,) in self._run(cursor, self._locked_sql, [site])}

    def used_jtis(self, cursor: Cursor, jtis: Collection[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunked(sorted(jtis)):
            member, params = self._member_of(chunk)
            found.update(jti for (jti,) in self._run(cursor, self._used_sql + member, params))
        return found

    def stored_decisions(
        self, cursor: Cursor, event_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        found: dict[uuid.UUID, str] = {}
        for chunk in chunked(sorted(str(e) for e in event_ids)):
            member, params = self._member_of(chunk)
            rows = self._run(cursor, self._stored_sql + member, params)
            found.update({uuid.UUID(event_id): text for event_id, text in rows})
        return found

    # -- writes ------------------------------------------------------------------

    def insert_entries(self, cursor: Cursor, records: Sequence[EntryRecord]) -> set[uuid.UUID]:
        """Insert entries; returns the event_ids actually inserted (not already there)."""
        inserted: set[uuid.UUID] = set()
        for chunk in chunked(records):
            params: list[Any] = []
            for record in chunk:
                params.extend(self._entry_values(record))
            rows = self._run(cursor, self._insert_sql(len(chunk)), params)
            inserted.update(uuid.UUID(event_id) for (event_id,) in rows)
        return inserted

    def _entry_values(self, r: EntryRecord) -> Iterable[Any]:
        values = {
            "event_id": str(r.event_id), "site": r.site, "gate": r.gate,
            "direction": r.direction, "ts": r.ts, "received_at": r.received_at,
            "decided_at": r.decided_at, "person_id": r.person_id, "decision": r.decision,
            "reasons": ",".join(r.reasons), "celsius": r.celsius,
            "policy_version": r.policy_version, "local_decision": r.local_decision,
            "recheck_of": str(r.recheck_of) if r.recheck_of else None, "case_id": r.case_id,
            "passage_json": r.passage_json, "decision_json": r.decision_json,
            "sensor": r.sensor, "kind": r.kind, "grant_id": r.grant_id,
            "seq_stream": r.seq_stream, "seq_n": r.seq_n,
        }  # fmt: skip
        return (
            write(values[c.name]) if write and values[c.name] is not None else values[c.name]
            for c, write in zip(self._entry_columns, self._entry_writers, strict=True)
        )


_BY_DIALECT: dict[str, HotPath] = {}


def hot_path(session: Session) -> tuple[HotPath, Cursor]:
    """The statements for the session's database and a cursor inside its transaction."""
    connection = session.connection()
    dialect = connection.dialect
    statements = _BY_DIALECT.get(dialect.name)
    if statements is None:
        statements = _BY_DIALECT[dialect.name] = HotPath(dialect)
    cursor = connection.connection.cursor()
    return statements, cursor
