"""The gate's outbox: every passage on disk before it is published, until it is answered.

SQLite in WAL mode with ``synchronous=FULL``: once :meth:`Outbox.add` returns, the
passage survives a crash or a power cut of the gate.  Rows leave only through
:meth:`Outbox.answered` (the central side's Decision arrived).  Order is the
insertion order (an autoincrement key), so a gate that was offline forwards its
passages in the order people passed.  A disk that is full or failing raises
:class:`OutboxError`: the agent reports it in its status instead of losing the
passage silently.

The outbox also numbers the passages it keeps (:class:`~schemas.messages.PassageSeq`):
1, 2, 3, ... under a stream id drawn when the file is created, in the same
transaction as the passage itself, so a number is never skipped or used twice,
and a new version of a kept passage keeps its number.  The central side finds
from a missing number that a passage never reached it.

The standard library's ``sqlite3`` keeps the gate light (no SQLAlchemy here).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernel.errors import CampusgateError
from kernel.files import create_private_file
from schemas.messages import Passage, PassageSeq

BUSY_TIMEOUT_MS = 5_000
STREAM_BYTES = 8  # 16 hex digits: two outboxes never share a stream id


class OutboxError(CampusgateError):
    """The outbox cannot keep a passage (disk full, read-only, corrupt)."""


class Outbox:
    """A durable FIFO of passages keyed by ``event_id``."""

    def __init__(self, path: Path, *, max_bytes: int | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            create_private_file(path)  # passages name people: 0600, and so its WAL
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: the passage must survive a power cut once add() returned.
            self._db.execute("PRAGMA synchronous=FULL")
            if max_bytes is not None:
                # A bounded outbox fails like a full disk (SQLITE_FULL), and is reported.
                (page_size,) = self._db.execute("PRAGMA page_size").fetchone()
                self._db.execute(f"PRAGMA max_page_count={max(max_bytes // page_size, 8)}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS outbox ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " event_id TEXT NOT NULL UNIQUE,"
                " payload TEXT NOT NULL)"
            )
            # One row: this outbox's stream id and the last number it gave out.
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS numbering (stream TEXT NOT NULL, last INTEGER NOT NULL)"
            )
            if self._db.execute("SELECT count(*) FROM numbering").fetchone()[0] == 0:
                stream = secrets.token_hex(STREAM_BYTES)
                self._db.execute("INSERT INTO numbering VALUES (?, 0)", (stream,))
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"cannot open the outbox {path}: {exc}") from exc
        self.high_water = len(self)

    @property
    def stream(self) -> str:
        with self._lock:
            return str(self._db.execute("SELECT stream FROM numbering").fetchone()[0])

    def add(self, passage: Passage) -> Passage:
        """Keep ``passage`` durably, numbered; returns it as kept (with its ``seq``).

        A new version of a passage already kept replaces it and keeps its number.
        """
        with self._lock:
            try:
                with self._transaction():
                    kept = self._numbered_locked(passage)
                    self._db.execute(
                        "INSERT INTO outbox (event_id, payload) VALUES (?, ?) "
                        "ON CONFLICT (event_id) DO UPDATE SET payload = excluded.payload",
                        (str(passage.event_id), kept.model_dump_json()),
                    )
            except sqlite3.Error as exc:
                raise OutboxError(f"outbox {self.path}: cannot keep a passage: {exc}") from exc
            size = self._count_locked()
        self.high_water = max(self.high_water, size)
        return kept

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (one fsync): the number and the passage, or neither."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _numbered_locked(self, passage: Passage) -> Passage:
        if passage.seq is not None:
            return passage
        row = self._db.execute(
            "SELECT payload FROM outbox WHERE event_id = ?", (str(passage.event_id),)
        ).fetchone()
        if row is not None:  # a new version: the number it was kept under
            seq = json.loads(row[0]).get("seq")
            return passage if seq is None else passage.model_copy(update={"seq": PassageSeq(**seq)})
        stream, number = self._db.execute(
            "UPDATE numbering SET last = last + 1 RETURNING stream, last"
        ).fetchone()
        return passage.model_copy(update={"seq": PassageSeq(stream=stream, n=number)})

    def answered(self, event_id: uuid.UUID) -> bool:
        """Forget ``event_id``; True if it was waiting here."""
        with self._lock:
            try:
                cursor = self._db.execute("DELETE FROM outbox WHERE event_id = ?", (str(event_id),))
            except sqlite3.Error as exc:
                raise OutboxError(f"outbox {self.path}: {exc}") from exc
            return cursor.rowcount > 0

    def contains(self, event_id: uuid.UUID) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM outbox WHERE event_id = ?", (str(event_id),)
            ).fetchone()
        return row is not None

    def oldest(self, limit: int, *, after: int = 0) -> list[tuple[int, Passage]]:
        """Up to ``limit`` waiting passages with ``seq > after``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        return [(seq, Passage.model_validate_json(payload)) for seq, payload in rows]

    def __len__(self) -> int:
        with self._lock:
            return self._count_locked()

    def _count_locked(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()
