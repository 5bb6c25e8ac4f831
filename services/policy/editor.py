"""The policy editor's rules: every field of a whole policy (or a response level) checked
with one problem per field, the change against the version in force field by field, and
the save with who, why and the version it was edited from.

The editor sends the whole policy as the page shows it; :func:`check_policy` reads it
into a :class:`~schemas.policy.Policy` or raises :class:`PolicyInvalid` listing every
problem as ``(field, code, values)``: ``field`` is a dotted path (``threshold``,
``screening.north-1``, ``zones.teaching.open_until``), ``code`` names the words in the
catalogue (``policy.error.<code>``), so the web shows them in the user's language and
the CLI in English.  A gate the site does not know, a kind nobody has, a zone's empty or
overlapping hours and text that is not a name are problems of their own field.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from schemas.policy import Policy
from services.policy import service
from services.policy.store import stored_policy

MAX_ZONES = 64
MAX_GATES = 1000  # per map (screening, gate kinds, a zone's gates, closed gates)
MAX_KINDS = 32
MAX_TEXT = 64  # a name shown back in a problem is cut to this
ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")
EDITABLE = frozenset(Policy.model_fields) - {"site", "version", "level"}
# pydantic's error types -> our codes (the words are ``policy.error.<code>``).
PYDANTIC_CODES = {
    "greater_than_equal": "too_low",
    "less_than_equal": "too_high",
    "greater_than": "too_low",
    "less_than": "too_high",
    "string_pattern_mismatch": "bad_name",
    "string_too_long": "too_long",
    "string_too_short": "required",
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "literal_error": "bad_choice",
    "bool_type": "bad_choice",
    "bool_parsing": "bad_choice",
    "time_type": "bad_time",
    "time_parsing": "bad_time",
    "decimal_parsing": "bad_number",
    "decimal_type": "bad_number",
    "int_parsing": "bad_number",
    "int_type": "bad_number",
    "int_from_float": "bad_number",
    "finite_number": "bad_number",
}


@dataclass(frozen=True)
class Problem:
    """One field's problem: the field's dotted path, the words' code, the values they name."""

    field: str
    code: str
    values: dict[str, str] = default(default_factory=dict)

    def __str__(self) -> str:
        named = ", ".join(f"{k} {v}" for k, v in self.values.items())
        return f"{self.field}: {self.code}" + (f" ({named})" if named else "")


class PolicyInvalid(ConfigError):
    """A policy or level the editor refuses; ``problems`` names each field and why."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)

    @classmethod
    def of(cls, problems: list[Problem]) -> PolicyInvalid:
        return cls("invalid policy: " + "; ".join(map(str, problems)), problems)


@dataclass(frozen=True)
class Change:
    """One setting that differs: its dotted path, the value in force and the new one."""

    field: str
    old: Any
    new: Any


def cut(text: object) -> str:
    value = str(text)
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(cut(part) for part in loc if not isinstance(part, int) and part != "[key]")


def problems_of(exc: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for error in exc.errors():
        code = PYDANTIC_CODES.get(error["type"], "invalid")
        bounds = error.get("ctx") or {}
        limit = next((bounds[k] for k in ("ge", "le", "gt", "lt") if k in bounds), None)
        values = {} if limit is None else {"limit": str(limit)}
        problems.append(Problem(prefix + _path(error["loc"]), code, values))
    return problems


def decimal(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _time(value: object) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None


def _minutes(start: time, end: time) -> set[int]:
    """The minutes of the day a window covers (it may wrap past midnight)."""
    a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    return set(range(a, b)) if a < b else set(range(a, 24 * 60)) | set(range(b))


@dataclass
class Checker:
    """Collects the problems the schema alone does not name (or names without a field)."""

    gates: Collection[str] | None
    kinds: Collection[str] | None
    problems: list[Problem] = default(default_factory=list)

    def add(self, where: str, code: str, **values: object) -> None:
        where = where or "policy"  # a setting without a name
        self.problems.append(Problem(where, code, {k: cut(v) for k, v in values.items()}))

    def gate_names(self, where: str, names: object) -> None:
        if not isinstance(names, (list, tuple, set, frozenset, dict)):
            return
        if len(names) > MAX_GATES:
            self.add(where, "too_many", limit=MAX_GATES)
            return
        for name in names:
            if self.gates is not None and isinstance(name, str) and name not in self.gates:
                self.add(where, "unknown_gate", gate=name)

    def kind_names(self, where: str, names: object) -> None:
        if names is None or not isinstance(names, (list, tuple, set, frozenset)):
            return
        if len(names) > MAX_KINDS:
            self.add(where, "too_many", limit=MAX_KINDS)
            return
        for name in names:
            if self.kinds is not None and isinstance(name, str) and name not in self.kinds:
                self.add(where, "unknown_kind", kind=name)

    def temperatures(self, values: Mapping[str, Any]) -> None:
        low, high = decimal(values.get("plausible_min")), decimal(values.get("plausible_max"))
        threshold = decimal(values.get("threshold"))
        if low is not None and high is not None and low >= high:
            self.add("plausible_max", "range_order", min=low, max=high)
        elif (
            low is not None
            and high is not None
            and threshold is not None
            and not (low < threshold < high)
        ):
            self.add("threshold", "threshold_outside_range", min=low, max=high)

    def zones(self, zones: object) -> None:
        if not isinstance(zones, dict):
            return
        if len(zones) > MAX_ZONES:
            self.add("zones", "too_many", limit=MAX_ZONES)
            return
        seen: dict[str, tuple[str, set[int]]] = {}
        for name, zone in zones.items():
            if not isinstance(zone, dict):
                continue
            where = f"zones.{cut(name)}"
            self.gate_names(f"{where}.gates", zone.get("gates"))
            self.kind_names(f"{where}.kinds", zone.get("kinds"))
            minutes = self._hours(where, zone.get("open_from"), zone.get("open_until"))
            gates = zone.get("gates")
            for gate in gates if isinstance(gates, (list, tuple, set, frozenset)) else ():
                if not isinstance(gate, str):
                    continue
                if gate in seen:
                    other, other_minutes = seen[gate]
                    code = "zone_hours_overlap" if minutes & other_minutes else "gate_in_two_zones"
                    self.add(f"{where}.gates", code, gate=gate, zone=other)
                else:
                    seen[gate] = (str(name), minutes)

    def _hours(self, where: str, start: object, end: object) -> set[int]:
        if start in (None, "") and end in (None, ""):
            return set(range(24 * 60))
        if start in (None, "") or end in (None, ""):
            self.add(f"{where}.open_until", "hours_paired")
            return set()
        begin, until = _time(start), _time(end)
        if begin is None or until is None:
            return set()  # the schema names the bad time
        if begin == until:
            self.add(f"{where}.open_until", "hours_empty")
            return set()
        return _minutes(begin, until)


def _known_zone(name: object) -> bool:
    """An IANA zone name the system knows (a path or odd text never reaches the files)."""
    if not isinstance(name, str) or not ZONE_NAME.match(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def unnamed(problem: Problem, named: list[Problem]) -> bool:
    """A schema problem no problem of ours names already (nor one inside its field)."""
    if not problem.field:
        return False
    inside = problem.field + "."
    return not any(p.field == problem.field or p.field.startswith(inside) for p in named)


def _clean_zones(zones: object) -> object:
    """Empty hours ("" from a form's empty time field) mean none."""
    if not isinstance(zones, dict):
        return zones
    return {
        name: {k: (None if k in ("open_from", "open_until") and v == "" else v)
               for k, v in zone.items()} if isinstance(zone, dict) else zone
        for name, zone in zones.items()
    }  # fmt: skip


def check_policy(
    values: Mapping[str, Any],
    *,
    site: str,
    current: Policy,
    gates: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> Policy:
    """``values`` (a whole policy as the editor sends it) as the next version of ``current``.

    ``gates``: the gates the site knows (besides those ``current`` names; None: any);
    ``kinds``: the person kinds (None: any).  Raises :class:`PolicyInvalid` with every
    problem found, one per field.
    """
    known = None if gates is None else {*gates, *gates_of(current)}
    checker = Checker(known, kinds)
    for name in values:
        if name not in EDITABLE:
            checker.add(cut(name), "unknown_field")
    checker.temperatures(values)
    for where in ("screening", "gate_kinds", "closed_gates"):
        checker.gate_names(where, values.get(where))
    gate_kinds = values.get("gate_kinds")
    if isinstance(gate_kinds, dict):
        for gate, names in list(gate_kinds.items())[:MAX_GATES]:
            checker.kind_names(f"gate_kinds.{cut(gate)}", names)
    checker.zones(values.get("zones"))
    zone_name = values.get("timezone", current.timezone)
    if not _known_zone(zone_name):
        checker.add("timezone", "unknown_zone", zone=zone_name)
    data = {k: v for k, v in values.items() if k in EDITABLE}
    data["zones"] = _clean_zones(data.get("zones", {}))
    data = {**data, "site": site, "version": current.version + 1, "level": current.level}
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        checker.problems.extend(p for p in problems_of(exc) if unnamed(p, checker.problems))
        if not checker.problems:  # a model-wide rule the checks above did not name
            checker.add("policy", "invalid")
    if checker.problems:
        raise PolicyInvalid.of(checker.problems)
    return policy


def gates_of(policy: Policy) -> set[str]:
    found = {*policy.screening, *policy.gate_kinds, *policy.closed_gates}
    for zone in policy.zones.values():
        found.update(zone.gates)
    return found


def _expand(values: dict[str, Any]) -> dict[str, Any]:
    """Settings with maps opened one level (``screening.north-1``, ``zones.teaching.kinds``)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("screening", "gate_kinds") and isinstance(value, dict):
            flat.update({f"{key}.{sub}": v for sub, v in value.items()})
        elif key == "zones" and isinstance(value, dict):
            for zone, settings in value.items():
                flat.update({f"zones.{zone}.{k}": v for k, v in settings.items()})
        else:
            flat[key] = value
    return flat


def _normal(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def changes(old: Any, new: Any, *, skip: Collection[str] = ("site", "version")) -> list[Change]:
    """Field by field what differs between two policies (or two levels), in a stable order."""
    a = _expand({k: _normal(v) for k, v in old.model_dump().items() if k not in skip})
    b = _expand({k: _normal(v) for k, v in new.model_dump().items() if k not in skip})
    order = list(dict.fromkeys([*b, *a]))
    return [Change(key, a.get(key), b.get(key)) for key in order if a.get(key) != b.get(key)]


def preview_policy(
    session: Session,
    site: str,
    values: Mapping[str, Any],
    *,
    gates: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> tuple[int, list[Change]]:
    """The version in force (0: none stored) and what saving ``values`` would change."""
    current = stored_policy(session=session, site=site) or Policy(site=site)
    version = service.current_version(session=session, site=site)
    policy = check_policy(values, site=site, current=current, gates=gates, kinds=kinds)
    return (version.version if version else 0), changes(current, policy, skip=("site", "version"))


def save_policy(
    session: Session,
    site: str,
    values: Mapping[str, Any],
    *,
    base_version: int,
    by: str,
    reason: str,
    now: datetime,
    gates: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> service.PolicyVersion:
    """A new version from the whole policy the editor sent, if none was saved since
    ``base_version`` (else :class:`~services.policy.service.PolicyStale`)."""
    current = stored_policy(session=session, site=site) or Policy(site=site)
    policy = check_policy(values, site=site, current=current, gates=gates, kinds=kinds)
    found = changes(current, policy)
    if not found:
        raise PolicyInvalid.of([Problem("policy", "no_change")])
    return service.store_version(
        session,
        site,
        policy.model_dump(),
        by=by,
        reason=reason,
        now=now,
        action="policy.edit",
        base_version=base_version,
    )
