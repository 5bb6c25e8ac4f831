"""The hash chain over the entry log: sealed after commit, verified on demand.

The central hot path only inserts entries.  A *sealer* (run by the central
worker between batches on an interval, and by ``campusgate audit seal``)
appends each new entry, in entry id order, to ``entry_chain``:

    public_hash   = SHA-256(canonical public columns)    what reports and audits use
    personal_hash = SHA-256(canonical personal columns)  what retention may erase
    chain_hash    = SHA-256(previous chain_hash | seq | entry_id | event_id |
                            entry_ts | public_hash | personal_hash)

``verify`` recomputes every link and every sealed entry's hashes, and reports:
an *edited* entry (its hashes differ), a *deleted* entry (sealed, now absent),
an *inserted* entry (present below the chain's head but never sealed; one
sealed long after it was received is a warning), and any edited, deleted or inserted chain row
(the links no longer follow).  Retention keeps the chain verifiable: a purged
entry is excused by a believed retention run that covers it (:mod:`.runs` says which
runs are believed); an anonymised entry must still match its public hash and carry
exactly the anonymised personal fields.

A chain can be rebuilt by someone who can rewrite both tables; the head
(``seq`` and ``chain_hash``) printed in every daily report is the anchor that
``verify --anchor SEQ:HASH`` checks against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, and_, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.audit.runs import TrustedRun, check_runs
from services.storage.models import EntryChainRow, EntryRow, IsolationCaseRow

GENESIS = hashlib.sha256(b"campusgate entry chain v1").hexdigest()
PUBLIC_COLUMNS = (
    "id", "event_id", "site", "gate", "direction", "ts", "received_at", "decided_at",
    "decision", "reasons", "celsius", "policy_version", "local_decision", "recheck_of",
    "case_id", "sensor", "kind",
)  # fmt: skip
PERSONAL_COLUMNS = ("person_id", "grant_id", "passage_json", "decision_json")
# What retention leaves of an anonymised entry's personal columns.
ANONYMISED = {
    "person_id": None,
    "grant_id": None,
    "passage_json": '{"anonymised":true}',
    "decision_json": '{"anonymised":true}',
}
SEAL_BATCH = 2000
# Entries are sealed once they are this old, so a transaction that committed a
# lower id a moment later than a higher one is still sealed in order ...
SEAL_GRACE = timedelta(seconds=1)
# ... and the sealer looks this many ids back for any that committed later still.
LOOKBACK_IDS = 5000
# A sealed entry received this long before it was sealed was likely written later.
LATE_SEAL = timedelta(minutes=10)
VERIFY_CHUNK = 5000

ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
CHAIN: Table = EntryChainRow.__table__  # type: ignore[assignment]


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    if isinstance(value, float):  # a NUMERIC read back as a float
        return format(Decimal(repr(value)).quantize(Decimal("0.01")), "f")
    return value


def _digest(values: list[Any]) -> str:
    text = json.dumps([_canonical(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def public_hash(row: Any) -> str:
    return _digest([getattr(row, c) for c in PUBLIC_COLUMNS])


def personal_hash(row: Any) -> str:
    return _digest([getattr(row, c) for c in PERSONAL_COLUMNS])


def is_anonymised(row: Any) -> bool:
    return all(getattr(row, c) == v for c, v in ANONYMISED.items())


def link(  # noqa: PLR0917 - the link's fields, in the order they are hashed
    previous: str, seq: int, entry_id: int, event_id: str, entry_ts: datetime, pub: str, pers: str
) -> str:
    text = "|".join([previous, str(seq), str(entry_id), event_id, _canonical(entry_ts), pub, pers])
    return hashlib.sha256(text.encode()).hexdigest()


class ChainHead(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    entry_id: int
    chain_hash: str
    sealed_at: datetime | None

    def anchor(self) -> str:
        return f"{self.seq}:{self.chain_hash}"


def chain_head(*, session: Session) -> ChainHead:
    row = session.execute(
        select(CHAIN.c.seq, CHAIN.c.entry_id, CHAIN.c.chain_hash, CHAIN.c.sealed_at)
        .order_by(CHAIN.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return ChainHead(seq=0, entry_id=0, chain_hash=GENESIS, sealed_at=None)
    return ChainHead(seq=row.seq, entry_id=row.entry_id, chain_hash=row.chain_hash,
                     sealed_at=row.sealed_at)  # fmt: skip


def seal(*, session: Session, now: datetime, limit: int = SEAL_BATCH) -> int:
    """Chain up to ``limit`` unsealed entries (in the caller's transaction); how many.

    Two sealers racing on one database collide on ``seq`` (the primary key):
    the loser's transaction fails with IntegrityError and it seals nothing.
    """
    head = chain_head(session=session)
    sealed = exists().where(CHAIN.c.entry_id == ENTRIES.c.id)
    query = (
        select(*(ENTRIES.c[c] for c in {*PUBLIC_COLUMNS, *PERSONAL_COLUMNS}))
        .where(ENTRIES.c.id > head.entry_id - LOOKBACK_IDS)
        .where(ENTRIES.c.received_at <= now - SEAL_GRACE)
        .where(~sealed)
        .order_by(ENTRIES.c.id)
        .limit(limit)
    )
    rows = list(session.connection().execute(query))
    if not rows:
        return 0
    previous, seq = head.chain_hash, head.seq
    values: list[dict[str, Any]] = []
    for row in rows:
        seq += 1
        pub, pers = public_hash(row), personal_hash(row)
        previous = link(previous, seq, row.id, row.event_id, row.ts, pub, pers)
        values.append({
            "seq": seq, "entry_id": row.id, "event_id": row.event_id, "entry_ts": row.ts,
            "public_hash": pub, "personal_hash": pers, "chain_hash": previous, "sealed_at": now,
        })  # fmt: skip
    session.connection().execute(insert(CHAIN), values)
    return len(values)


def seal_all(
    *, sessions: Callable[[], Session], now: Callable[[], datetime], limit: int = SEAL_BATCH
) -> int:
    """Seal until nothing is left, one transaction per round; a lost race stops quietly."""
    total = 0
    while True:
        try:
            with sessions() as session, session.begin():
                count = seal(session=session, now=now(), limit=limit)
        except IntegrityError:
            return total  # another sealer is at work
        total += count
        if count < limit:
            return total


# --- verification -------------------------------------------------------------------------


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # edited | deleted | inserted | chain_broken | late_seal | anchor | retention_forged
    entry_id: int | None
    event_id: str | None
    seq: int | None
    detail: str


class VerifyReport(BaseModel):
    chain_rows: int = 0
    entries_checked: int = 0
    purged_by_retention: int = 0
    anonymised: int = 0
    unsealed_tail: int = 0
    head: ChainHead | None = None
    problems: list[Problem] = []
    # Not proof of tampering on their own, for an auditor to look at.
    warnings: list[Problem] = []

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Retention:
    """Believed retention runs: which sealed entries a run was allowed to purge or anonymise."""

    runs: list[TrustedRun] = field(default_factory=list)
    excused: dict[str, tuple[int, int]] = field(default_factory=dict)  # event -> (entry, seq)

    def _covers(self, mode: str, entry_ts: datetime, seq: int) -> bool:
        # A run touches only entries older than its cutoff that were sealed before it ran.
        return any(r.mode == mode and entry_ts < r.cutoff and seq <= r.chain_seq for r in self.runs)

    def purged(self, entry_ts: datetime, seq: int) -> bool:
        return self._covers("purge", entry_ts, seq)

    def anonymised(self, entry_ts: datetime, seq: int) -> bool:
        return self._covers("anonymise", entry_ts, seq)


def _retention(session: Session, report: VerifyReport, now: datetime) -> _Retention:
    trusted, faults = check_runs(session, now=now)
    for fault in faults:
        report.problems.append(Problem(
            kind="retention_forged", entry_id=None, event_id=None, seq=None,
            detail=f"retention run {fault.run_id}: {fault.detail}",
        ))  # fmt: skip
    return _Retention(runs=trusted)


def _chain_with_entries(session: Session) -> Iterator[Any]:
    """Chain rows in seq order, each with its entry's columns (None when the entry is gone)."""
    entry_cols = [ENTRIES.c[c].label(f"e_{c}") for c in {*PUBLIC_COLUMNS, *PERSONAL_COLUMNS}]
    last = 0
    while True:
        query = (
            select(CHAIN, *entry_cols)
            .select_from(CHAIN.outerjoin(ENTRIES, ENTRIES.c.id == CHAIN.c.entry_id))
            .where(CHAIN.c.seq > last)
            .order_by(CHAIN.c.seq)
            .limit(VERIFY_CHUNK)
        )
        rows = list(session.connection().execute(query))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


class _EntryView:
    """The ``e_``-prefixed entry columns of a joined row, read as an entry."""

    __slots__ = ("_row",)

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, f"e_{name}")


def verify(
    *,
    session: Session,
    anchors: list[tuple[int, str]] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    now: datetime | None = None,
) -> VerifyReport:
    """Check every link, every sealed entry and every retention run; find unsealed entries.

    ``now`` (default: the system clock) is when the check runs: a retention run dated
    later is forged.
    """
    report = VerifyReport(head=chain_head(session=session))
    retention = _retention(session, report, now or datetime.now(UTC))
    total = session.scalar(select(func.count()).select_from(CHAIN)) or 0
    wanted = dict(anchors or [])
    previous, expected_seq = GENESIS, 1
    for row in _chain_with_entries(session):
        report.chain_rows += 1
        if progress is not None and report.chain_rows % VERIFY_CHUNK == 0:
            progress(report.chain_rows, total)
        if row.seq != expected_seq:
            report.problems.append(Problem(
                kind="chain_broken", entry_id=None, event_id=None, seq=row.seq,
                detail=f"chain rows {expected_seq}..{row.seq - 1} are missing (deleted)",
            ))  # fmt: skip
        recomputed = link(previous, row.seq, row.entry_id, row.event_id, row.entry_ts,
                          row.public_hash, row.personal_hash)  # fmt: skip
        if recomputed != row.chain_hash:
            report.problems.append(Problem(
                kind="chain_broken", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
                detail="chain row altered or inserted: its link does not follow the previous one",
            ))  # fmt: skip
        if row.seq in wanted and wanted.pop(row.seq) != row.chain_hash:
            report.problems.append(Problem(
                kind="anchor", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
                detail="the chain differs from the anchor recorded earlier: it was rebuilt",
            ))  # fmt: skip
        previous, expected_seq = row.chain_hash, row.seq + 1
        _check_entry(report, row, retention)
    for seq in wanted:
        gone = "the anchored chain row no longer exists: the chain was cut"
        report.problems.append(
            Problem(kind="anchor", entry_id=None, event_id=None, seq=seq, detail=gone)
        )
    _cases_not_purged(session, report, retention)
    _find_unsealed(session, report)
    if progress is not None:
        progress(report.chain_rows, report.chain_rows)
    return report


def _check_entry(report: VerifyReport, row: Any, retention: _Retention) -> None:
    if row.e_id is None:
        if retention.purged(row.sealed_at, row.seq):
            report.purged_by_retention += 1
            retention.excused[row.event_id] = (row.entry_id, row.seq)
        else:
            report.problems.append(Problem(
                kind="deleted", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
                detail="sealed entry is gone and no retention run covers it",
            ))  # fmt: skip
        return
    entry = _EntryView(row)
    report.entries_checked += 1
    if public_hash(entry) != row.public_hash:
        report.problems.append(Problem(
            kind="edited", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
            detail="entry changed after it was sealed (decision, time, gate or reasons)",
        ))  # fmt: skip
    if personal_hash(entry) != row.personal_hash:
        if is_anonymised(entry) and retention.anonymised(row.sealed_at, row.seq):
            report.anonymised += 1
        else:
            report.problems.append(Problem(
                kind="edited", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
                detail="entry's person, payload or answer changed after it was sealed",
            ))  # fmt: skip
    if row.sealed_at - row.e_received_at > LATE_SEAL:
        report.warnings.append(Problem(
            kind="late_seal", entry_id=row.entry_id, event_id=row.event_id, seq=row.seq,
            detail=f"sealed {row.sealed_at - row.e_received_at} after it was received: "
            "written into the log later, or the sealer was not running",
        ))  # fmt: skip


def _cases_not_purged(session: Session, report: VerifyReport, retention: _Retention) -> None:
    """Retention never purges an entry that opened a case: such a gap is tampering."""
    events = list(retention.excused)
    for start in range(0, len(events), 500):
        chunk = events[start : start + 500]
        for (event_id,) in session.execute(
            select(IsolationCaseRow.event_id).where(IsolationCaseRow.event_id.in_(chunk))
        ):
            if event_id is None:  # a case opened by hand names no entry
                continue
            entry_id, seq = retention.excused[event_id]
            report.purged_by_retention -= 1
            report.problems.append(
                Problem(
                    kind="deleted",
                    entry_id=entry_id,
                    event_id=event_id,
                    seq=seq,
                    detail="the entry that opened an isolation case is gone (retention keeps it)",
                )
            )


def _find_unsealed(session: Session, report: VerifyReport) -> None:
    head_id = report.head.entry_id if report.head else 0
    sealed = exists().where(CHAIN.c.entry_id == ENTRIES.c.id)
    rows = session.execute(
        select(ENTRIES.c.id, ENTRIES.c.event_id)
        .where(ENTRIES.c.id < head_id, ~sealed)
        .order_by(ENTRIES.c.id)
    )
    for entry_id, event_id in rows:
        report.problems.append(Problem(
            kind="inserted", entry_id=entry_id, event_id=event_id, seq=None,
            detail="entry below the chain's head that was never sealed: inserted afterwards",
        ))  # fmt: skip
    report.unsealed_tail = (
        session.scalar(
            select(func.count()).select_from(ENTRIES).where(and_(ENTRIES.c.id > head_id, ~sealed))
        )
        or 0
    )
