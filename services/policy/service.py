"""The site policy, versioned in the database, and epidemic response levels.

Every change makes a new version with who changed it and why; decisions
record the version they used, so ``audit explain`` can show the rules a
passage was judged by.  An epidemic response level is a named set of values
(threshold, household exit quota, visitor ban, closed gates, and optionally
health-code and mask rules) switched in one action: one new version.

The central worker reads the newest version every second and announces it to
the gates; nothing needs restarting.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, NotFound, Refused
from schemas.names import NAME_PATTERN, GateName
from schemas.policy import ExitQuota, Policy
from services.policy.file import load_policy
from services.policy.store import stored_policy
from services.storage.audit_log import log_action
from services.storage.models import PolicyVersionRow, ResponseLevelRow


class PolicyStale(Refused):
    """The policy (or a level) was saved by someone else since the editor read it."""

    def __init__(self, message: str, latest: int = 0) -> None:
        self.latest = latest
        super().__init__(message)

    @classmethod
    def of(cls, latest: int, base: int, level: str | None = None) -> PolicyStale:
        what = (
            f"response level {level} changed meanwhile"
            if level
            else f"the policy changed meanwhile (now version {latest}, you edited version {base})"
        )
        return cls(f"{what}; look again: nothing was saved", latest)


class Override(BaseModel):
    """A hand-set value a response level would replace: the field, its value, the level's."""

    model_config = ConfigDict(frozen=True)

    field: str
    hand_set: Any
    level_value: Any


class LevelOverrides(Refused):
    """Switching to a level would replace hand-set values; the switch needs a confirmation."""

    def __init__(self, message: str, level: str = "", overrides: list[Override] | None = None):
        self.level, self.overrides = level, overrides or []
        super().__init__(message)

    @classmethod
    def of(cls, level: str, overrides: list[Override]) -> LevelOverrides:
        named = "; ".join(
            f"{o.field}: hand-set {_plain(o.hand_set)}, level {level} sets {_plain(o.level_value)}"
            for o in overrides
        )
        ask = "confirm to replace them (campusgate policy level switch --replace-hand-set)"
        return cls(f"level {level} would replace hand-set values: {named}; {ask}", level, overrides)


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, (set, frozenset, list)):
        return ",".join(sorted(map(str, value))) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


class PolicyVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    site: str
    version: int
    level: str | None
    changed_by: str
    reason: str
    changed_at: datetime
    policy: Policy


class ResponseLevel(BaseModel):
    """An epidemic response level: the values it sets when switched on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: str = ""
    threshold: Annotated[Decimal, Field(ge=Decimal("35"), le=Decimal("40"))] = Decimal("37.3")
    exit_quota: ExitQuota | None = None  # None: households may go out freely
    visitors_allowed: bool = True
    closed_gates: frozenset[GateName] = frozenset()
    # Unchanged by the level when None.
    health_code_required: bool | None = None
    mask_required: bool | None = None

    def apply(self, policy: Policy) -> dict[str, Any]:
        values = policy.model_dump()
        values.update(
            threshold=self.threshold,
            exit_quota=self.exit_quota.model_dump() if self.exit_quota else None,
            visitors_allowed=self.visitors_allowed,
            closed_gates=set(self.closed_gates),
            level=self.name,
        )
        if self.health_code_required is not None:
            values["health_code_required"] = self.health_code_required
        if self.mask_required is not None:
            values["mask_required"] = self.mask_required
        return values


# Levels every site has unless it defines its own under the same name.
DEFAULT_LEVELS: dict[str, ResponseLevel] = {
    level.name: level
    for level in (
        ResponseLevel(
            name="normal", description="normal operation: no quota, visitors by appointment"
        ),
        ResponseLevel(
            name="elevated",
            description="epidemic watch: household exit quota, health code required",
            exit_quota=ExitQuota(exits=1, window_hours=48),
            health_code_required=True,
        ),
        ResponseLevel(
            name="lockdown",
            description="closed campus: visitor ban, household exit quota, health code required",
            exit_quota=ExitQuota(exits=1, window_hours=48),
            visitors_allowed=False,
            health_code_required=True,
        ),
    )
}


def _version(row: PolicyVersionRow) -> PolicyVersion:
    return PolicyVersion(
        site=row.site,
        version=row.version,
        level=row.level,
        changed_by=row.changed_by,
        reason=row.reason,
        changed_at=row.changed_at,
        policy=Policy.model_validate_json(row.policy_json),
    )


def _latest_version(session: Session, site: str) -> int | None:
    return session.scalar(
        select(func.max(PolicyVersionRow.version)).where(PolicyVersionRow.site == site)
    )


def store_version(
    session: Session,
    site: str,
    values: dict[str, Any],
    *,
    by: str,
    reason: str,
    now: datetime,
    action: str,
    base_version: int | None = None,
    extra: dict[str, Any] | None = None,
) -> PolicyVersion:
    if not reason.strip():
        raise ConfigError("say why: every policy change records who and why")
    latest = _latest_version(session, site)
    if base_version is not None and base_version != (latest or 0):
        raise PolicyStale.of(latest or 0, base_version)
    version = 1 if latest is None else latest + 1
    values = {**values, "site": site, "version": version}
    try:
        policy = Policy.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"invalid policy: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from exc
    row = PolicyVersionRow(
        site=site,
        version=version,
        policy_json=policy.model_dump_json(),
        level=policy.level,
        changed_by=by,
        reason=reason.strip(),
        changed_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Refused("another change was saved at the same moment; try again") from exc
    previous = stored_policy(session=session, site=site, version=latest) if latest else None
    log_action(
        session,
        at=now,
        actor=by,
        action=action,
        target=f"{site} v{version}",
        params={
            "reason": reason,
            "changes": diff(previous, policy) if previous else {},
            **(extra or {}),
        },
    )
    return _version(row)


def current_version(*, session: Session, site: str) -> PolicyVersion | None:
    row = session.scalars(
        select(PolicyVersionRow)
        .where(PolicyVersionRow.site == site)
        .order_by(PolicyVersionRow.version.desc())
        .limit(1)
    ).first()
    return _version(row) if row else None


def get_version(*, session: Session, site: str, version: int) -> PolicyVersion:
    row = session.get(PolicyVersionRow, (site, version))
    if row is None:
        raise NotFound(f"no policy version {version} for site {site}")
    return _version(row)


def history(*, session: Session, site: str) -> list[PolicyVersion]:
    rows = session.scalars(
        select(PolicyVersionRow)
        .where(PolicyVersionRow.site == site)
        .order_by(PolicyVersionRow.version)
    )
    return [_version(r) for r in rows]


def change_policy(
    *,
    session: Session,
    site: str,
    changes: dict[str, Any],
    by: str,
    reason: str,
    now: datetime,
    base_version: int | None = None,
) -> PolicyVersion:
    """A new version: the current policy (or the defaults) with ``changes`` applied.

    ``changes`` may use dotted keys for maps: ``{"screening.north-1": "soft"}``.
    ``base_version``: refuse if someone else changed the policy since it was read.
    """
    current = stored_policy(session=session, site=site) or Policy(site=site)
    values = current.model_dump()
    for key, value in changes.items():
        name, _, sub = key.partition(".")
        if name not in Policy.model_fields or name in ("site", "version"):
            raise ConfigError(f"unknown policy setting {name!r}")
        if sub:
            mapping = dict(values.get(name) or {})
            if value is None:
                mapping.pop(sub, None)
            else:
                mapping[sub] = value
            values[name] = mapping
        else:
            values[name] = value
    values["level"] = changes.get("level", current.level)
    return store_version(
        session,
        site,
        values,
        by=by,
        reason=reason,
        now=now,
        action="policy.change",
        base_version=base_version,
    )


def import_policy(
    *, session: Session, site: str, path: Path, by: str, reason: str, now: datetime
) -> PolicyVersion:
    """A new version from a JSON or TOML file (its version number is ignored)."""
    policy = load_policy(path, site=site)
    return store_version(
        session, site, policy.model_dump(), by=by, reason=reason, now=now, action="policy.import"
    )


def seed_policy(
    *, session: Session, policy: Policy, by: str, now: datetime
) -> PolicyVersion | None:
    """Store ``policy`` as it is when the site has no stored policy yet (central start-up)."""
    if _latest_version(session, policy.site) is not None:
        return None
    row = PolicyVersionRow(
        site=policy.site,
        version=policy.version,
        policy_json=policy.model_dump_json(),
        level=policy.level,
        changed_by=by,
        reason="first policy of the site",
        changed_at=now,
    )
    session.add(row)
    session.flush()
    return _version(row)


def diff(old: Policy, new: Policy) -> dict[str, list[Any]]:
    """Setting -> [old, new] for every setting that differs (version aside)."""
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return {k: [a.get(k), b.get(k)] for k in sorted(b) if k != "version" and a.get(k) != b.get(k)}


# --- response levels ------------------------------------------------------------------------


def define_level(
    *, session: Session, site: str, level: ResponseLevel, by: str, now: datetime, reason: str = ""
) -> ResponseLevel:
    row = session.get(ResponseLevelRow, (site, level.name))
    if row is None:
        row = ResponseLevelRow(site=site, name=level.name)
        session.add(row)
    row.settings_json = level.model_dump_json()
    row.description = level.description
    row.updated_by, row.updated_at = by, now
    log_action(
        session,
        at=now,
        actor=by,
        action="policy.level_define",
        target=f"{site}/{level.name}",
        params={**json.loads(level.model_dump_json()), **({"reason": reason} if reason else {})},
    )
    session.flush()
    return level


def list_levels(*, session: Session, site: str) -> list[ResponseLevel]:
    """The site's levels: its own definitions, then the defaults it has not redefined."""
    own = {
        row.name: ResponseLevel.model_validate_json(row.settings_json)
        for row in session.scalars(select(ResponseLevelRow).where(ResponseLevelRow.site == site))
    }
    return [*own.values(), *(lvl for name, lvl in DEFAULT_LEVELS.items() if name not in own)]


def get_level(*, session: Session, site: str, name: str) -> ResponseLevel:
    row = session.get(ResponseLevelRow, (site, name))
    if row is not None:
        return ResponseLevel.model_validate_json(row.settings_json)
    if name in DEFAULT_LEVELS:
        return DEFAULT_LEVELS[name]
    names = ", ".join(lvl.name for lvl in list_levels(session=session, site=site))
    raise NotFound(f"no response level {name!r} for {site} (levels: {names})")


def level_values(level: ResponseLevel) -> dict[str, Any]:
    """The policy settings ``level`` sets when switched on (python values, as a Policy holds)."""
    applied = Policy.model_validate({**level.apply(Policy(site="any")), "site": "any"})
    values = applied.model_dump()
    names = ["threshold", "exit_quota", "visitors_allowed", "closed_gates"]
    if level.health_code_required is not None:
        names.append("health_code_required")
    if level.mask_required is not None:
        names.append("mask_required")
    return {name: values[name] for name in names}


def hand_set_overrides(
    *, session: Session, site: str, current: Policy, level: ResponseLevel
) -> list[Override]:
    """The values of ``current`` set by hand that switching to ``level`` would replace.

    A value is hand-set when it is neither the default nor what the level in force (if
    any) set: an administrator typed it.  It is overridden when the level sets another.
    """
    baseline = Policy(site=site).model_dump()
    if current.level is not None:
        # A level since removed: only the defaults count as not hand-set.
        with contextlib.suppress(NotFound):
            active = get_level(session=session, site=site, name=current.level)
            baseline.update(level_values(active))
    now_values = current.model_dump()
    return [
        Override(field=name, hand_set=now_values[name], level_value=value)
        for name, value in level_values(level).items()
        if now_values[name] != value and now_values[name] != baseline[name]
    ]


def switch_level(
    *,
    session: Session,
    site: str,
    name: str,
    by: str,
    reason: str,
    now: datetime,
    replace_hand_set: bool = False,
    base_version: int | None = None,
) -> PolicyVersion:
    """Switch the site to a response level in one action: one new policy version.

    A level that would replace hand-set values is refused (:class:`LevelOverrides`, naming
    each field, the hand-set value and the level's) unless ``replace_hand_set``; the
    replaced values are then kept in the audit log with the change.
    """
    level = get_level(session=session, site=site, name=name)
    current = stored_policy(session=session, site=site) or Policy(site=site)
    overrides = hand_set_overrides(session=session, site=site, current=current, level=level)
    if overrides and not replace_hand_set:
        raise LevelOverrides.of(level.name, overrides)
    replaced = [json.loads(o.model_dump_json()) for o in overrides]
    return store_version(
        session,
        site,
        level.apply(current),
        by=by,
        reason=reason,
        now=now,
        action="policy.level_switch",
        base_version=base_version,
        extra={"replaced_hand_set": replaced} if replaced else None,
    )
