"""Retention runs under the chain: which runs ``audit verify`` may believe.

A retention run purges or anonymises sealed entries, and verify excuses the gaps it
leaves.  A row written into ``retention_runs`` by hand would excuse any deletion
(a run with cutoff 2099 excused them all), so a run is believed only when

* its own link follows the previous run's: ``run_hash = SHA-256(previous run_hash |
  id | run_at | actor | mode | days | cutoff | entries_affected | chain_seq |
  chain_hash)``: an edited or inserted run breaks the links after it;
* it is pinned to the entry chain: ``chain_seq``/``chain_hash`` name a chain row that
  exists with that hash, the run is dated after that row was sealed, after the run
  before it, and not after the moment of verification;
* its cutoff is one the retention policy allowed when it ran: ``cutoff == run_at -
  days`` and ``days >= MIN_RETENTION_DAYS``;

and it excuses only entries sealed at or before its ``chain_seq``.  A forger who can
rewrite the table can at most add a run the policy allowed, which removes only what
the real job could have removed; deleting a run turns the entries it removed into
``deleted`` problems.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage.models import EntryChainRow, RetentionRunRow

# The retention policy's floor: the entry log must cover two 14-day incubation
# periods, the window a contact trace looks back over, so no run may keep less.
MIN_RETENTION_DAYS = 28
RUNS_GENESIS = hashlib.sha256(b"campusgate retention runs v1").hexdigest()


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def run_link(previous: str, run: RetentionRunRow) -> str:
    fields = [
        previous, str(run.id), _iso(run.run_at), run.actor, run.mode, str(run.days),
        _iso(run.cutoff), str(run.entries_affected), str(run.chain_seq), str(run.chain_hash),
    ]  # fmt: skip
    return hashlib.sha256("|".join(fields).encode()).hexdigest()


def _previous_hash(session: Session, run_id: int) -> str:
    previous = session.scalar(
        select(RetentionRunRow.run_hash)
        .where(RetentionRunRow.id < run_id)
        .order_by(RetentionRunRow.id.desc())
        .limit(1)
    )
    return previous or RUNS_GENESIS


def seal_run(session: Session, run: RetentionRunRow, *, chain_seq: int, chain_hash: str) -> None:
    """Pin ``run`` (flushed, so it has its id) to the chain head and link it to the last run."""
    run.chain_seq, run.chain_hash = chain_seq, chain_hash
    run.run_hash = run_link(_previous_hash(session, run.id), run)
    session.flush()


@dataclass(frozen=True)
class TrustedRun:
    mode: str
    cutoff: datetime
    chain_seq: int


@dataclass(frozen=True)
class RunFault:
    run_id: int
    detail: str


def _pinned_rows(session: Session, runs: list[RetentionRunRow]) -> dict[int, EntryChainRow]:
    seqs = {run.chain_seq for run in runs if run.chain_seq}
    if not seqs:
        return {}
    rows = session.scalars(select(EntryChainRow).where(EntryChainRow.seq.in_(seqs)))
    return {row.seq: row for row in rows}


def _fault_of(
    run: RetentionRunRow,
    previous: tuple[str, datetime | None],
    pinned: dict[int, EntryChainRow],
    now: datetime,
) -> str | None:
    """Why ``run`` cannot be believed, or None."""
    previous_hash, previous_at = previous
    if run.run_hash is None or run.chain_seq is None or run.chain_hash is None:
        return "retention run not covered by the chain (written by hand, or before 0006)"
    if run_link(previous_hash, run) != run.run_hash:
        return "retention run altered or inserted: its link does not follow the run before it"
    if run.days < MIN_RETENTION_DAYS:
        return f"retention run kept {run.days} days, the policy keeps {MIN_RETENTION_DAYS}"
    if run.cutoff != run.run_at - timedelta(days=run.days):
        return "retention run's cutoff is not its date minus the days it kept"
    if run.run_at > now:
        return "retention run is dated in the future"
    if previous_at is not None and run.run_at < previous_at:
        return "retention run is dated before the run before it"
    if run.chain_seq:
        row = pinned.get(run.chain_seq)
        if row is None or row.chain_hash != run.chain_hash:
            return "retention run is pinned to a chain row that does not exist"
        if run.run_at < row.sealed_at:
            return "retention run is dated before the entries it names were sealed"
    return None


def check_runs(session: Session, *, now: datetime) -> tuple[list[TrustedRun], list[RunFault]]:
    """The runs verify may use to excuse gaps, and why each of the others is not believed."""
    runs = list(session.scalars(select(RetentionRunRow).order_by(RetentionRunRow.id)))
    pinned = _pinned_rows(session, runs)
    trusted: list[TrustedRun] = []
    faults: list[RunFault] = []
    previous: tuple[str, datetime | None] = (RUNS_GENESIS, None)
    for run in runs:
        fault = _fault_of(run, previous, pinned, now)
        if fault is None:
            trusted.append(TrustedRun(run.mode, run.cutoff, run.chain_seq or 0))
        else:
            faults.append(RunFault(run.id, fault))
        # Later runs link to what is stored, so one forged row is reported once.
        previous = (run.run_hash or previous[0], run.run_at)
    return trusted, faults
