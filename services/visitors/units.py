"""Host units and who answers for them: approvers (谁审核谁负责) and 信息员 (unit officers).

A unit exists once it has an approver: a visitor can only ask a unit somebody can
answer for.  Approvers are kept by ``services.appointments`` (``unit_approvers``);
officers here.  Administrators appoint both, never themselves, and every change is
in the audit log.  Every function takes ``session=``; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, NotFound, Refused
from services.storage.audit_log import log_action
from services.storage.models import UnitApproverRow
from services.storage.visitor_models import UnitOfficerRow

MAX_UNIT_CHARS = 200


def known_units(*, session: Session) -> list[str]:
    """Units with at least one approver, sorted: the host units a visitor may choose."""
    query = select(UnitApproverRow.unit).distinct().order_by(UnitApproverRow.unit)
    return list(session.scalars(query))


def require_unit(*, session: Session, unit: str) -> str:
    """``unit`` if it exists (has an approver); ConfigError (422, with why) otherwise."""
    unit = unit.strip()
    if (
        not unit
        or session.scalar(select(UnitApproverRow.unit).where(UnitApproverRow.unit == unit).limit(1))
        is None
    ):
        raise ConfigError(f"no host unit {unit[:MAX_UNIT_CHARS]!r}: choose one from the list")
    return unit


def approver_units(*, session: Session, username: str) -> frozenset[str]:
    query = select(UnitApproverRow.unit).where(UnitApproverRow.approver == username)
    return frozenset(session.scalars(query))


def officer_units(*, session: Session, username: str) -> frozenset[str]:
    query = select(UnitOfficerRow.unit).where(UnitOfficerRow.officer == username)
    return frozenset(session.scalars(query))


def approvers_of(*, session: Session, unit: str) -> list[str]:
    query = select(UnitApproverRow.approver).where(UnitApproverRow.unit == unit)
    return sorted(session.scalars(query))


def add_officer(*, session: Session, unit: str, officer: str, by: str, now: datetime) -> None:
    """Make ``officer`` the 信息员 of ``unit`` (another administrator's act, never one's own)."""
    unit, officer = unit.strip(), officer.strip()
    if not unit or not officer:
        raise ConfigError("unit and officer must not be empty")
    if officer.lower() == by.strip().lower():
        raise Refused(f"{by!r} may not make themselves an officer of {unit!r}")
    if session.get(UnitOfficerRow, (unit, officer)) is None:
        session.add(UnitOfficerRow(unit=unit, officer=officer, added_by=by, added_at=now))
        log_action(session, at=now, actor=by, action="unit.officer_add", target=unit,
                   params={"officer": officer})  # fmt: skip
    session.flush()


def remove_officer(*, session: Session, unit: str, officer: str, by: str, now: datetime) -> None:
    result = session.execute(
        delete(UnitOfficerRow).where(UnitOfficerRow.unit == unit, UnitOfficerRow.officer == officer)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"{officer!r} is not an officer of {unit!r}")
    log_action(session, at=now, actor=by, action="unit.officer_remove", target=unit,
               params={"officer": officer})  # fmt: skip


def officers(*, session: Session) -> list[tuple[str, str]]:
    query = select(UnitOfficerRow.unit, UnitOfficerRow.officer).order_by(
        UnitOfficerRow.unit, UnitOfficerRow.officer
    )
    return [(u, o) for u, o in session.execute(query)]
