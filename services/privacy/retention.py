"""The retention job: entries received over N days ago are purged or anonymised, and logged.

* Only sealed entries are touched (sealed up to the chain head the run is pinned
  to; :mod:`services.audit.runs`), so the hash chain already holds their
  hashes: ``audit verify`` excuses a purged entry by the retention run whose
  cutoff covers it, and checks an anonymised entry against its public hash
  (gate, time, decision, reasons, temperature stay; person, payload and answer
  go), so the chain stays verifiable.
* Entries that opened or joined an isolation case are kept whole, like the
  cases themselves: they are the medical and epidemiological record.
* Household exits and rejected messages older than the cutoff are deleted;
  ended appointments and passes keep their ids and windows but lose the
  visitor's name (masked), phone and ID-number hash.

Each run is a row in ``retention_runs`` and a line in the audit log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Table, delete, exists, func, select, update
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from kernel.masking import mask_name
from services.audit.chain import ANONYMISED, chain_head
from services.audit.runs import MIN_RETENTION_DAYS, seal_run
from services.storage.audit_log import log_action
from services.storage.models import (
    AppointmentRow,
    EntryChainRow,
    EntryRow,
    HouseholdExitRow,
    RejectedMessageRow,
    RetentionRunRow,
    TempPassRow,
)

Mode = Literal["purge", "anonymise"]
ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
CHAIN: Table = EntryChainRow.__table__  # type: ignore[assignment]


class RetentionResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: int
    mode: Mode
    days: int
    cutoff: datetime
    entries: int
    kept_for_cases: int
    not_sealed: int
    household_exits: int
    rejected_messages: int
    grants_anonymised: int


def _retire_entries(
    connection: Connection, cutoff: datetime, mode: Mode, head_seq: int
) -> tuple[int, int, int]:
    """Purge or anonymise the old sealed entries no case holds: (done, kept for cases, unsealed).

    Age counts from receipt, never from the gate's clock: a passage dated 1970 is not
    purged minutes after it arrived, nor one dated 9999 kept for ever.  Sealing follows
    receipt within a second, and the chain keeps ``sealed_at`` for entries retention
    removed, so verify applies the same rule to what is gone.  Only entries sealed up
    to the chain head the run is pinned to (``head_seq``) are touched.
    """
    old = ENTRIES.c.received_at < cutoff
    sealed = exists().where(CHAIN.c.entry_id == ENTRIES.c.id, CHAIN.c.seq <= head_seq)
    sealed_before_cutoff = exists().where(
        CHAIN.c.entry_id == ENTRIES.c.id, CHAIN.c.seq <= head_seq, CHAIN.c.sealed_at < cutoff
    )
    kept = connection.execute(
        select(func.count()).select_from(ENTRIES).where(old, ENTRIES.c.case_id.is_not(None))
    ).scalar_one()
    unsealed = connection.execute(
        select(func.count()).select_from(ENTRIES).where(old, ~sealed)
    ).scalar_one()
    eligible = (sealed_before_cutoff, ENTRIES.c.case_id.is_(None))
    if mode == "purge":
        entries = connection.execute(delete(ENTRIES).where(*eligible)).rowcount
    else:
        not_yet = ENTRIES.c.passage_json != ANONYMISED["passage_json"]
        entries = connection.execute(
            update(ENTRIES).where(*eligible, not_yet).values(**ANONYMISED)
        ).rowcount
    return entries, kept, unsealed


def _forget_visitors(session: Session, cutoff: datetime) -> int:
    """Ended appointments and passes lose name (masked), phone and ID hash; how many."""
    grants = 0
    ended = select(AppointmentRow).where(
        AppointmentRow.valid_until < cutoff, AppointmentRow.id_hash != ""
    )
    for appointment in session.scalars(ended):
        appointment.visitor_name = mask_name(appointment.visitor_name)
        appointment.phone, appointment.id_hash = "", ""
        grants += 1
    for held in session.scalars(
        select(TempPassRow).where(TempPassRow.valid_until < cutoff, TempPassRow.id_hash != "")
    ):
        held.holder_name = mask_name(held.holder_name)
        held.phone, held.id_hash = "", ""
        grants += 1
    return grants


def run_retention(
    *, session: Session, days: int, mode: Mode, now: datetime, actor: str
) -> RetentionResult:
    if days < MIN_RETENTION_DAYS:
        raise ConfigError(
            f"保留天数至少为 {MIN_RETENTION_DAYS} 天 / keep at least {MIN_RETENTION_DAYS} days of "
            "entries: contact tracing looks back two incubation periods"
        )
    if mode not in ("purge", "anonymise"):
        raise ConfigError(f"unknown retention mode {mode!r} (purge or anonymise)")
    cutoff = now - timedelta(days=days)
    head = chain_head(session=session)
    connection = session.connection()
    entries, kept, unsealed = _retire_entries(connection, cutoff, mode, head.seq)
    exits = connection.execute(
        delete(HouseholdExitRow).where(HouseholdExitRow.exited_at < cutoff)
    ).rowcount
    rejected = connection.execute(
        delete(RejectedMessageRow).where(RejectedMessageRow.received_at < cutoff)
    ).rowcount
    counts = {
        "kept_for_cases": kept,
        "not_sealed": unsealed,
        "household_exits": exits,
        "rejected_messages": rejected,
        "grants_anonymised": _forget_visitors(session, cutoff),
    }
    run = RetentionRunRow(
        run_at=now,
        actor=actor[:64],
        mode=mode,
        days=days,
        cutoff=cutoff,
        entries_affected=entries,
        detail_json=json.dumps(counts),
    )
    session.add(run)
    session.flush()
    seal_run(session, run, chain_seq=head.seq, chain_hash=head.chain_hash)
    log_action(
        session,
        at=now,
        actor=actor,
        role="admin",
        action=f"retention.{mode}",
        target=f"before {cutoff.isoformat()}",
        count=entries,
        params={"days": days, **counts},
    )
    return RetentionResult(
        run_id=run.id, mode=mode, days=days, cutoff=cutoff, entries=entries, **counts
    )
