"""Building gate snapshots from the database (DESIGN section 6).

The site's data is read once per round (:func:`read_site`): active people, open
isolation cases, one-time codes spent recently, locked gates.  Each gate's
snapshot is then cut from it in memory (:func:`snapshot_for`), so fifty gates
cost one set of queries, not fifty.  The version is the time of the newest
change in the data (milliseconds), the same in every worker that builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kernel.codes.keys import KeyRing
from kernel.masking import mask_id_number
from schemas.policy import Policy
from schemas.snapshot import (
    ID_HASH_HEX,
    MAX_GUARDS,
    GateSnapshot,
    SnapshotGuard,
    SnapshotPerson,
    SnapshotPlate,
)
from services.storage.models import (
    CASE_RELEASED,
    AppointmentRow,
    AuditLogRow,
    GateStateRow,
    IsolationCaseRow,
    PersonRow,
    UsedCodeRow,
)
from services.storage.visitor_models import PlateRow, VisitorRequestRow
from services.storage.web_models import WebUserRow

HASH_RE = re.compile(r"[0-9a-f]{64}")  # a keyed hash (an anonymised row keeps none)
# What changes the plates a gate holds (the whitelist's rows, and approved or cancelled visits).
PLATE_ACTIONS = ("vehicle.plate_add", "vehicle.plate_remove", "appointment.approve",
                 "appointment.cancel", "appointment.expire")  # fmt: skip
USED_CODES_KEPT = timedelta(days=2)
"""One-time codes live minutes to hours; what was spent two days ago has expired anyway."""


@dataclass(frozen=True, slots=True)
class SiteData:
    version: int
    persons: list[tuple[SnapshotPerson, frozenset[str] | None]]
    used_codes: list[str]
    locked: frozenset[str]
    # Active guards and their gates: each gate's snapshot carries only its own.
    guards: tuple[tuple[SnapshotGuard, frozenset[str]], ...] = ()
    plates: tuple[SnapshotPlate, ...] = ()


def _ms(value: datetime | None) -> int:
    return 0 if value is None else int(value.timestamp() * 1000)


def data_version(*, session: Session, site: str) -> int:
    """Milliseconds of the newest change a snapshot depends on."""
    stamps = [
        session.scalar(select(func.max(PersonRow.updated_at))),
        session.scalar(select(func.max(IsolationCaseRow.opened_at))),
        session.scalar(select(func.max(IsolationCaseRow.closed_at))),
        session.scalar(select(func.max(IsolationCaseRow.returned_at))),
        session.scalar(select(func.max(IsolationCaseRow.confirmed_at))),
        session.scalar(select(func.max(UsedCodeRow.used_at))),
        session.scalar(select(func.max(GateStateRow.updated_at)).where(GateStateRow.site == site)),
        session.scalar(
            select(func.max(AuditLogRow.at)).where(AuditLogRow.action.in_(PLATE_ACTIONS))
        ),
    ]
    return max(_ms(stamp) for stamp in stamps)


def _open_cases(session: Session) -> tuple[dict[str, tuple[datetime, str]], set[str]]:
    """Each person's newest case not released, and who is suspended (confirmed, not returned)."""
    cases = IsolationCaseRow.__table__.c
    open_cases: dict[str, tuple[datetime, str]] = {}
    for person_id, opened_at, case_id in session.execute(
        select(cases.person_id, cases.opened_at, cases.case_id).where(cases.status != CASE_RELEASED)
    ):
        if person_id is not None and (
            person_id not in open_cases or opened_at > open_cases[person_id][0]
        ):
            open_cases[person_id] = (opened_at, case_id)
    suspended = set(
        session.scalars(
            select(cases.person_id).where(
                cases.confirmed_at.is_not(None), cases.returned_at.is_(None)
            )
        )
    )
    return open_cases, suspended


def read_site(*, session: Session, site: str, now: datetime, plain_ids: bool = False) -> SiteData:
    """The site's data for this round; with ``plain_ids`` (the policy accepts them) each person
    carries their ID-number hash and campus card number, so a gate finds them offline."""
    version = data_version(session=session, site=site)
    open_cases, suspended = _open_cases(session)
    persons: list[tuple[SnapshotPerson, frozenset[str] | None]] = []
    table = PersonRow.__table__.c
    rows = session.execute(
        select(PersonRow.__table__).where(table.active).order_by(table.person_id)
    )
    for row in rows:
        gates = (
            None if row.gates.strip() == "*" else frozenset(g for g in row.gates.split(";") if g)
        )
        case = open_cases.get(row.person_id)
        person = SnapshotPerson(
            id=row.person_id,
            name=row.name,
            kind=row.kind,
            masked_id=mask_id_number(row.id_last4),
            active=row.active,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            gates=None if gates is None else sorted(gates),
            return_approved=row.return_approved,
            household=row.household,
            open_case_id=case[1] if case else None,
            id_hash=(
                row.id_hash[:ID_HASH_HEX] if plain_ids and HASH_RE.fullmatch(row.id_hash) else None
            ),
            card_no=row.card_no if plain_ids else None,
            suspended=row.person_id in suspended,
        )
        persons.append((person, gates))
    used = sorted(
        session.scalars(select(UsedCodeRow.jti).where(UsedCodeRow.used_at >= now - USED_CODES_KEPT))
    )
    locked = frozenset(
        session.scalars(
            select(GateStateRow.gate).where(GateStateRow.site == site, GateStateRow.locked)
        )
    )
    return SiteData(
        version=version,
        persons=persons,
        used_codes=used,
        locked=locked,
        guards=_guards(session),
        plates=read_plates(session=session, site=site, now=now),
    )


def _guards(session: Session) -> tuple[tuple[SnapshotGuard, frozenset[str]], ...]:
    users = WebUserRow.__table__.c
    rows = session.execute(
        select(users.username, users.password_hash, users.gates)
        .where(users.role == "guard", users.active)
        .order_by(users.username)
    )
    return tuple(
        (
            SnapshotGuard(username=name, password_hash=hashed),
            frozenset(g for g in (gates or "").split(";") if g),
        )
        for name, hashed, gates in rows
    )


def read_plates(*, session: Session, site: str, now: datetime) -> tuple[SnapshotPlate, ...]:
    """Plates that may enter now or later: the whitelist's, and those approved visits bring."""
    whitelisted = session.execute(
        select(PlateRow.plate, PlateRow.valid_from, PlateRow.valid_until).where(
            PlateRow.site == site, or_(PlateRow.valid_until.is_(None), PlateRow.valid_until >= now)
        )
    )
    booked = session.execute(
        select(VisitorRequestRow.plate, AppointmentRow.valid_from, AppointmentRow.valid_until)
        .join(AppointmentRow, AppointmentRow.appointment_id == VisitorRequestRow.appointment_id)
        .where(
            AppointmentRow.site == site,
            AppointmentRow.status == "approved",
            AppointmentRow.valid_until >= now,
            VisitorRequestRow.plate != "",
        )
    )
    found = {
        SnapshotPlate(plate=plate, valid_from=start, valid_until=end)
        for plate, start, end in [*whitelisted, *booked]
    }
    return tuple(sorted(found, key=lambda p: (p.plate, str(p.valid_from), str(p.valid_until))))


def snapshot_for(
    data: SiteData, *, site: str, gate: str, policy: Policy, keyring: KeyRing, now: datetime
) -> GateSnapshot:
    """The snapshot of one gate: only the people allowed through it, and the keys in force."""
    return GateSnapshot(
        site=site,
        gate=gate,
        version=data.version,
        built_at=now,
        policy=policy,
        keys=keyring.public_keys(now),
        key_retires=keyring.retirements(now),
        keys_retired=keyring.retired_by(now),
        keys_version=keyring.version,
        persons=[p for p, gates in data.persons if gates is None or gate in gates],
        used_codes=data.used_codes,
        locked=gate in data.locked,
        guards=[guard for guard, gates in data.guards if gate in gates][:MAX_GUARDS],
        plates=list(data.plates),
    )
