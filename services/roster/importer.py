"""Importing the whitelist from CSV: validate every row, upsert the good ones.

Columns: ``person_id,name,kind,id_number,unit,household,valid_from,valid_until,gates``.
A bad row is reported with its line number (the header is line 1) and reason and
the rest still import; ``strict`` imports nothing when any row is bad.  The raw
ID number is never stored or logged: only its keyed hash and last four digits.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.names import is_valid_name
from services.errors import RosterError
from services.identity import IdHasher, validate_cn_id
from services.storage.models import PersonRow

COLUMNS = (
    "person_id", "name", "kind", "id_number", "unit", "household",
    "valid_from", "valid_until", "gates",
)  # fmt: skip
KINDS = frozenset({"student", "staff", "family", "visitor", "contractor"})
MAX_FIELD = 200


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _when(text: str, *, end: bool) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"bad date {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _row(values: dict[str, str], hasher: IdHasher, now: datetime) -> dict[str, Any]:
    person_id = values["person_id"].strip()
    name = values["name"].strip()
    if not person_id or len(person_id) > 64 or not person_id.isprintable():
        raise ValueError("person_id must be 1-64 printable characters")
    if not name or len(name) > MAX_FIELD:
        raise ValueError("name is empty or too long")
    kind = values["kind"].strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(sorted(KINDS))})")
    problem = validate_cn_id(values["id_number"])
    if problem:
        raise ValueError(problem)
    valid_from = _when(values["valid_from"], end=False)
    valid_until = _when(values["valid_until"], end=True)
    if valid_from and valid_until and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")
    gates = values["gates"].strip() or "*"
    if gates != "*":
        names = [g.strip() for g in gates.split(";")]
        bad = [g for g in names if not is_valid_name(g)]
        if bad:
            raise ValueError(f"bad gate name {bad[0]!r}")
        gates = ";".join(names)
    return {
        "person_id": person_id,
        "name": name,
        "kind": kind,
        "id_hash": hasher.hash(values["id_number"]),
        "id_last4": IdHasher.last4(values["id_number"]),
        "unit": values["unit"].strip()[:MAX_FIELD],
        "household": values["household"].strip() or None,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "gates": gates,
        "updated_at": now,
    }


def import_roster(
    lines: Iterable[str], *, session: Session, hasher: IdHasher, strict: bool = False,
    now: datetime | None = None,
) -> ImportReport:  # fmt: skip
    now = now or datetime.now(UTC)
    reader = csv.reader(line.lstrip("\ufeff") if i == 0 else line for i, line in enumerate(lines))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise RosterError("the roster file is empty") from exc
    except csv.Error as exc:
        raise RosterError(f"unreadable header: {exc}") from exc
    if tuple(header) != COLUMNS:
        raise RosterError(f"header must be {','.join(COLUMNS)}; got {','.join(header)[:200]}")
    report = ImportReport()
    good: dict[str, dict[str, Any]] = {}
    line_no = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line_no += 1
            report.errors.append((line_no, f"unreadable row: {exc}"))
            continue
        line_no = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(COLUMNS):
            report.errors.append((line_no, f"expected {len(COLUMNS)} columns, got {len(fields)}"))
            continue
        try:
            row = _row(dict(zip(COLUMNS, fields, strict=True)), hasher, now)
        except ValueError as exc:
            report.errors.append((line_no, str(exc)))
            continue
        if row["person_id"] in good:
            report.errors.append((line_no, f"duplicate person_id {row['person_id']!r}"))
            continue
        good[row["person_id"]] = row
    if strict and report.errors:
        return report
    existing = set(session.scalars(select(PersonRow.person_id).where(
        PersonRow.person_id.in_(list(good))))) if good else set()  # fmt: skip
    for person_id, row in good.items():
        session.merge(PersonRow(**row))
        if person_id in existing:
            report.updated += 1
        else:
            report.inserted += 1
    session.flush()
    return report
