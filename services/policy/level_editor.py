"""The response levels' forms: a level's settings checked field by field (as the policy
editor's), the change against the level as defined, and the save against the level as the
form read it (:func:`level_token`), with who and why."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from schemas.policy import Policy
from services.policy import service
from services.policy.editor import (
    Change,
    Checker,
    PolicyInvalid,
    changes,
    cut,
    decimal,
    gates_of,
    problems_of,
    unnamed,
)
from services.policy.store import stored_policy

LEVEL_FIELDS = frozenset(service.ResponseLevel.model_fields) - {"name"}


def level_token(level: service.ResponseLevel | None) -> str:
    """What a level's form was read as: saving against another is refused (stale)."""
    if level is None:
        return "new"
    return hashlib.sha256(level.model_dump_json().encode()).hexdigest()[:16]


def check_level(
    values: Mapping[str, Any],
    *,
    name: str,
    current: Policy,
    gates: Collection[str] | None = None,
) -> service.ResponseLevel:
    """``values`` (a level's form) as a level named ``name``; :class:`PolicyInvalid` if not."""
    known = None if gates is None else {*gates, *gates_of(current)}
    checker = Checker(known, None)
    for key in values:
        if key not in LEVEL_FIELDS:
            checker.add(cut(key), "unknown_field")
    checker.gate_names("closed_gates", values.get("closed_gates"))
    threshold = decimal(values.get("threshold"))
    if threshold is not None and not current.plausible_min < threshold < current.plausible_max:
        checker.add("threshold", "threshold_outside_range", min=current.plausible_min,
                    max=current.plausible_max)  # fmt: skip
    data = {k: v for k, v in values.items() if k in LEVEL_FIELDS}
    try:
        level = service.ResponseLevel.model_validate({**data, "name": name})
    except ValidationError as exc:
        checker.problems.extend(p for p in problems_of(exc) if unnamed(p, checker.problems))
    if checker.problems:
        raise PolicyInvalid.of(checker.problems)
    return level


def _current_level(session: Session, site: str, name: str) -> service.ResponseLevel | None:
    return next(
        (lvl for lvl in service.list_levels(session=session, site=site) if lvl.name == name), None
    )


def preview_level(
    session: Session, site: str, name: str, values: Mapping[str, Any], *,
    gates: Collection[str] | None = None,
) -> tuple[str, list[Change]]:  # fmt: skip
    """The token the level's form must be saved against, and what saving would change."""
    current = stored_policy(session=session, site=site) or Policy(site=site)
    before = _current_level(session, site, name)
    level = check_level(values, name=name, current=current, gates=gates)
    base = before or service.ResponseLevel(name=name)
    return level_token(before), changes(base, level, skip=("name",))


def save_level(
    session: Session,
    site: str,
    name: str,
    values: Mapping[str, Any],
    *,
    base: str,
    by: str,
    reason: str,
    now: datetime,
    gates: Collection[str] | None = None,
) -> service.ResponseLevel:
    """Define (or change) a level from its form, if nobody changed it since ``base``."""
    if not reason.strip():
        raise ConfigError("say why: every level change records who and why")
    current = stored_policy(session=session, site=site) or Policy(site=site)
    before = _current_level(session, site, name)
    if level_token(before) != base:
        version = service.current_version(session=session, site=site)
        latest = version.version if version else 0
        raise service.PolicyStale.of(latest, latest, level=name)
    level = check_level(values, name=name, current=current, gates=gates)
    return service.define_level(
        session=session, site=site, level=level, by=by, now=now, reason=reason.strip()
    )
