"""Temporary passes by category, and the household exit quota as administrators see it.

Categories: ``duty`` (duty staff, 值班), ``business`` (teaching and research
business, 教学科研), ``medical`` (medical visits and elderly care, 就医/看护), and
any the site defines.  A category bounds its passes: longest validity
(``max_days``), how many may be in force at once (``max_active``, the
category's quota), default use limit (``default_uses``: entries admitted) and
the gates it may open.  A pass is a signed code whose subject is the pass id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.codes import SigningKey
from kernel.errors import ConfigError, NotFound, Refused
from kernel.masking import Masker, Role, mask_id_number
from schemas.names import NAME_PATTERN, GateName, SiteName
from schemas.policy import ExitQuota, Policy
from services.grants import (
    check_phone,
    check_window,
    gates_set,
    gates_text,
    hashed_id_number,
    issue_grant_code,
    new_grant_id,
)
from services.identity import IdHasher
from services.storage.audit_log import log_action
from services.storage.issued_codes import record_grant
from services.storage.models import (
    HouseholdExitRow,
    PassCategoryRow,
    PersonRow,
    TempPassRow,
)

BUILTIN_CATEGORIES: tuple[tuple[str, str, int | None, int | None, int | None], ...] = (
    ("duty", "duty staff (值班)", 30, None, None),
    ("business", "teaching and research business (教学科研)", 7, None, None),
    ("medical", "medical visits and elderly care (就医/看护)", 1, None, 2),
)
PassState = Literal["active", "not_yet", "expired", "used_up", "revoked"]


class PassCategory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    label: Annotated[str, Field(min_length=1, max_length=200)]
    max_days: Annotated[int, Field(ge=1, le=366)] | None = None
    max_active: Annotated[int, Field(ge=1)] | None = None
    default_uses: Annotated[int, Field(ge=1)] | None = None
    gates: list[GateName | Literal["*"]] = Field(default_factory=lambda: ["*"])


class PassRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site: SiteName = "main"
    category: str
    holder_name: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(max_length=32)] = ""
    id_number: SecretStr
    person_id: Annotated[str, Field(max_length=64)] | None = None
    unit: Annotated[str, Field(max_length=200)] = ""
    reason: Annotated[str, Field(max_length=1000)] = ""
    gates: Annotated[list[GateName | Literal["*"]], Field(min_length=1, max_length=32)]
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    max_uses: Annotated[int, Field(ge=1)] | None = None  # None: the category's default
    once: bool = False


class TempPass(BaseModel):
    model_config = ConfigDict(frozen=True)

    pass_id: str
    site: str
    category: str
    holder_name: str
    phone: str
    masked_id: str
    person_id: str | None
    unit: str
    reason: str
    gates: list[str]
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    uses: int
    once: bool
    issued_by: str
    issued_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    state: PassState


class IssuedPass(BaseModel):
    model_config = ConfigDict(frozen=True)

    temp_pass: TempPass
    code: str


def pass_state(row: TempPassRow, now: datetime) -> PassState:
    if row.revoked_at is not None:
        return "revoked"
    if row.max_uses is not None and row.uses >= row.max_uses:
        return "used_up"
    if now < row.valid_from:
        return "not_yet"
    if now > row.valid_until:
        return "expired"
    return "active"


def _shown(row: TempPassRow, now: datetime, role: Role | str = Role.ADMIN) -> TempPass:
    masker = Masker(role)
    return TempPass(
        pass_id=row.pass_id, site=row.site, category=row.category,
        holder_name=masker.name(row.holder_name) or "", phone=masker.phone(row.phone) or "",
        masked_id=mask_id_number(row.id_last4), person_id=masker.person_id(row.person_id),
        unit=row.unit, reason=row.reason, gates=row.gates.split(";"),
        valid_from=row.valid_from, valid_until=row.valid_until, max_uses=row.max_uses,
        uses=row.uses, once=row.once, issued_by=row.issued_by, issued_at=row.issued_at,
        revoked_by=row.revoked_by, revoked_at=row.revoked_at, state=pass_state(row, now),
    )  # fmt: skip


def _log(
    session: Session, *, at: datetime, by: str, action: str, target: str, **params: object
) -> None:
    log_action(session, at=at, actor=by, action=action, target=target, params=params)


# --- categories ---------------------------------------------------------------------------


def _category(row: PassCategoryRow) -> PassCategory:
    return PassCategory(
        name=row.name, label=row.label, max_days=row.max_days, max_active=row.max_active,
        default_uses=row.default_uses, gates=row.gates.split(";"),
    )  # fmt: skip


def list_categories(*, session: Session) -> list[PassCategory]:
    return [_category(r) for r in session.scalars(select(PassCategoryRow).order_by("name"))]


def define_category(
    *, session: Session, category: PassCategory, by: str, now: datetime
) -> PassCategory:
    """Create or change a category (the built-in ones included)."""
    row = session.get(PassCategoryRow, category.name)
    if row is None:
        row = PassCategoryRow(name=category.name)
        session.add(row)
    row.label, row.max_days, row.max_active = category.label, category.max_days, category.max_active
    row.default_uses, row.gates = category.default_uses, gates_text(category.gates)
    row.updated_by, row.updated_at = by, now
    _log(session, at=now, by=by, action="pass.category", target=category.name,
         **category.model_dump())  # fmt: skip
    session.flush()
    return _category(row)


def seed_builtin_categories(*, session: Session, now: datetime) -> None:
    """Put back duty, business and medical as the migration created them."""
    for name, label, days, active, uses in BUILTIN_CATEGORIES:
        if session.get(PassCategoryRow, name) is None:
            session.add(PassCategoryRow(
                name=name, label=label, max_days=days, max_active=active, default_uses=uses,
                gates="*", updated_by="migration 0003", updated_at=now,
            ))  # fmt: skip
    session.flush()


# --- passes ----------------------------------------------------------------------------------


def _in_force(session: Session, category: str, start: datetime, end: datetime) -> int:
    """Passes of a category in force at some point of [start, end]."""
    query = select(func.count()).where(
        TempPassRow.category == category,
        TempPassRow.revoked_at.is_(None),
        TempPassRow.valid_from <= end,
        TempPassRow.valid_until >= start,
        (TempPassRow.max_uses.is_(None)) | (TempPassRow.uses < TempPassRow.max_uses),
    )
    return session.scalar(query) or 0


def issue_pass(
    *,
    session: Session,
    request: PassRequest,
    hasher: IdHasher,
    key: SigningKey,
    by: str,
    now: datetime,
) -> IssuedPass:
    category_row = session.get(PassCategoryRow, request.category)
    if category_row is None:
        names = ", ".join(c.name for c in list_categories(session=session))
        raise ConfigError(f"no pass category {request.category!r} (categories: {names})")
    check_window(request.valid_from, request.valid_until, now)
    if category_row.max_days and request.valid_until - request.valid_from > timedelta(
        days=category_row.max_days
    ):
        raise Refused(f"a {category_row.name} pass lasts at most {category_row.max_days} day(s)")
    gates = gates_text(request.gates)
    allowed = gates_set(category_row.gates)
    wanted = gates_set(gates)
    if allowed is not None and (wanted is None or not wanted <= allowed):
        raise Refused(f"a {category_row.name} pass may open only {', '.join(sorted(allowed))}")
    if category_row.max_active is not None:
        in_force = _in_force(session, category_row.name, request.valid_from, request.valid_until)
        if in_force >= category_row.max_active:
            raise Refused(
                f"the {category_row.name} quota is used up: {in_force} of "
                f"{category_row.max_active} passes in force during that window"
            )
    if request.person_id is not None and session.get(PersonRow, request.person_id) is None:
        raise NotFound(f"no person {request.person_id!r} in the roster")
    id_hash, last4 = hashed_id_number(request.id_number.get_secret_value(), hasher)
    pass_id = new_grant_id("P", now)
    code, jti, expires = issue_grant_code(
        key, site=request.site, subject=pass_id, typ="pass", valid_until=request.valid_until,
        now=now, once=request.once,
    )  # fmt: skip
    row = TempPassRow(
        pass_id=pass_id, site=request.site, category=category_row.name,
        holder_name=request.holder_name.strip(), phone=check_phone(request.phone),
        id_hash=id_hash, id_last4=last4, person_id=request.person_id,
        unit=request.unit.strip(), reason=request.reason.strip(), gates=gates,
        valid_from=request.valid_from, valid_until=request.valid_until,
        max_uses=request.max_uses if request.max_uses is not None else category_row.default_uses,
        uses=0, once=request.once, issued_by=by, issued_at=now, code_jti=jti,
    )  # fmt: skip
    session.add(row)
    record_grant(session, jti=jti, subject=pass_id, kid=key.kid, kind="pass", issued_at=now,
                 valid_until=expires, issued_by=by)  # fmt: skip
    _log(session, at=now, by=by, action="pass.issue", target=pass_id, category=row.category,
         gates=gates, valid_from=row.valid_from, valid_until=row.valid_until)  # fmt: skip
    session.flush()
    return IssuedPass(temp_pass=_shown(row, now), code=code)


def revoke_pass(*, session: Session, pass_id: str, by: str, now: datetime, reason: str) -> TempPass:
    row = session.get(TempPassRow, pass_id)
    if row is None:
        raise NotFound(f"no pass {pass_id!r}")
    if row.revoked_at is not None:
        raise Refused(f"pass {pass_id} was already revoked by {row.revoked_by}")
    row.revoked_by, row.revoked_at = by, now
    row.reason = (row.reason + "; " if row.reason else "") + f"revoked: {reason.strip()}"
    _log(session, at=now, by=by, action="pass.revoke", target=pass_id, reason=reason)
    session.flush()
    return _shown(row, now)


def get_pass(
    *, session: Session, pass_id: str, now: datetime, role: Role | str = Role.ADMIN
) -> TempPass:
    row = session.get(TempPassRow, pass_id)
    if row is None:
        raise NotFound(f"no pass {pass_id!r}")
    return _shown(row, now, role)


def list_passes(
    *,
    session: Session,
    now: datetime,
    category: str | None = None,
    states: Sequence[PassState] | None = None,
    role: Role | str = Role.ADMIN,
    limit: int = 1000,
) -> list[TempPass]:
    query = select(TempPassRow).order_by(TempPassRow.issued_at.desc()).limit(limit)
    if category:
        query = query.where(TempPassRow.category == category)
    shown = [_shown(row, now, role) for row in session.scalars(query)]
    return [p for p in shown if not states or p.state in states]


# --- household exit quota ---------------------------------------------------------------------


class HouseholdExit(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    gate: str
    exited_at: datetime
    event_id: str


class QuotaStatus(BaseModel):
    """Where a household stands against its exit quota at ``at``."""

    model_config = ConfigDict(frozen=True)

    household: str
    quota: ExitQuota | None
    exits_in_window: list[HouseholdExit]
    remaining: int | None  # None: no quota applies
    next_exit_at: datetime | None  # when the next exit is allowed, if none is now
    at: datetime


def household_quota(
    *, session: Session, household: str, policy: Policy, now: datetime, gate: str | None = None
) -> QuotaStatus:
    quota = policy.exit_quota_for(gate) if gate else policy.exit_quota
    if quota is None:
        return QuotaStatus(household=household, quota=None, exits_in_window=[], remaining=None,
                           next_exit_at=None, at=now)  # fmt: skip
    window = timedelta(hours=quota.window_hours)
    rows = session.scalars(
        select(HouseholdExitRow)
        .where(HouseholdExitRow.household == household, HouseholdExitRow.exited_at > now - window)
        .order_by(HouseholdExitRow.exited_at)
    ).all()
    exits = [HouseholdExit(person_id=r.person_id, gate=r.gate, exited_at=r.exited_at,
                           event_id=r.event_id) for r in rows]  # fmt: skip
    remaining = max(0, quota.exits - len(exits))
    next_at = None
    if remaining == 0:
        # The oldest exit that must leave the window before another one fits.
        next_at = exits[len(exits) - quota.exits].exited_at + window
    return QuotaStatus(household=household, quota=quota, exits_in_window=exits,
                       remaining=remaining, next_exit_at=next_at, at=now)  # fmt: skip
