"""The gates file: which gates and service accounts a broker admits.

TOML::

    [[gate]]
    site = "main"
    gate = "north-1"            # the broker user is the gate's name ...
    # user = "main-north-1"     # ... unless given (needed when two sites share a gate name)

    [[service]]
    role = "central"            # central | web | admin
    user = "central"
    # sites = ["main"]          # default: every site that has a gate in the file

CSV (header required; ``site`` may be ``*`` on service rows for every site)::

    role,site,name,user
    gate,main,north-1,
    central,*,central,

On ``gate`` rows ``name`` is the gate and ``user`` (optional) the broker user;
on service rows ``name`` is the broker user.  Every name follows the site/gate
rule ``[a-z0-9][a-z0-9-]{0,31}``, so it is safe in ACL lines, URLs and env names.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from kernel.errors import ConfigError
from schemas.names import NAME_PATTERN, GateName, SiteName

ALL_SITES = "*"
UserName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class Role(StrEnum):
    GATE = "gate"
    CENTRAL = "central"
    WEB = "web"
    ADMIN = "admin"  # operators' diagnostics: read and write everything of its sites


@dataclass(frozen=True, slots=True)
class Account:
    """One broker user with its role; ``gate`` is set for gate accounts only."""

    user: str
    role: Role
    sites: tuple[str, ...]
    gate: str | None = None


class _GateEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    site: SiteName
    gate: GateName
    user: UserName | None = None


class _ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["central", "web", "admin"]
    user: UserName
    sites: tuple[SiteName, ...] | None = None


class _TomlFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gate: list[_GateEntry] = []
    service: list[_ServiceEntry] = []


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}"
        for e in exc.errors(include_url=False)[:5]
    )


def _read_toml(text: str) -> tuple[list[_GateEntry], list[_ServiceEntry]]:
    try:
        document = _TomlFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(_errors(exc)) from exc
    return document.gate, document.service


CSV_COLUMNS = ("role", "site", "name")


def _read_csv(text: str) -> tuple[list[_GateEntry], list[_ServiceEntry]]:
    try:
        return _read_csv_rows(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ConfigError(f"not valid CSV: {exc}") from exc


def _read_csv_rows(reader: csv.DictReader[str]) -> tuple[list[_GateEntry], list[_ServiceEntry]]:
    header = [c.strip() for c in reader.fieldnames or ()]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ConfigError(
            f"CSV header must have {', '.join(CSV_COLUMNS)}[,user]; missing {missing}"
        )
    gates: list[_GateEntry] = []
    services: list[_ServiceEntry] = []
    for raw in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        try:
            if row["role"] == Role.GATE:
                gates.append(
                    _GateEntry(site=row["site"], gate=row["name"], user=row.get("user") or None)
                )
            else:
                sites = None if row["site"] == ALL_SITES else (row["site"],)
                services.append(
                    _ServiceEntry.model_validate(
                        {"role": row["role"], "user": row["name"], "sites": sites}
                    )
                )
        except ValidationError as exc:
            raise ConfigError(f"line {line}: {_errors(exc)}") from exc
    return gates, services


def _accounts(gates: Iterable[_GateEntry], services: Iterable[_ServiceEntry]) -> list[Account]:
    accounts: dict[str, Account] = {}
    seen_gates: set[tuple[str, str]] = set()
    for entry in gates:
        if (entry.site, entry.gate) in seen_gates:
            raise ConfigError(f"gate {entry.site}/{entry.gate} is listed twice")
        seen_gates.add((entry.site, entry.gate))
        user = entry.user or entry.gate
        if user in accounts:
            raise ConfigError(
                f"broker user {user!r} of gate {entry.site}/{entry.gate} is already taken; "
                "give the gate its own `user`"
            )
        accounts[user] = Account(user=user, role=Role.GATE, sites=(entry.site,), gate=entry.gate)
    every_site = tuple(sorted({site for site, _ in seen_gates}))
    for service in services:
        role = Role(service.role)
        sites = tuple(sorted(set(service.sites))) if service.sites else every_site
        known = accounts.get(service.user)
        if known is not None and known.role is not role:
            raise ConfigError(f"broker user {service.user!r} is both {known.role} and {role}")
        if known is not None:  # several CSV rows of one service account: the union of sites
            sites = tuple(sorted({*known.sites, *sites}))
        accounts[service.user] = Account(user=service.user, role=role, sites=sites)
    result = sorted(accounts.values(), key=lambda a: (a.role != Role.GATE, a.role, a.user))
    if not any(a.role is Role.CENTRAL for a in result):
        raise ConfigError("no central account: the central workers could not connect")
    if not every_site:
        raise ConfigError("no gates listed")
    return result


def parse_inventory(text: str, *, csv_format: bool) -> list[Account]:
    gates, services = _read_csv(text) if csv_format else _read_toml(text)
    return _accounts(gates, services)


def load_inventory(path: Path) -> list[Account]:
    """The accounts of a ``.toml`` or ``.csv`` gates file; ConfigError says what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise ConfigError(f"gates file must end in .toml or .csv: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read gates file {path}: {exc}") from exc
    try:
        return parse_inventory(text, csv_format=suffix == ".csv")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
