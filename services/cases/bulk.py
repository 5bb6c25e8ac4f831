"""Isolating a list of people at once: an authority's list or the clinic's own upload.

The list is text (one person a line, or CSV whose first column names them): a
roster person id, or a resident ID number, matched through the keyed hash the
roster keeps (the number itself is never stored or shown; a report names it by
its last four digits).  The list is read whole before anything is written: any
bad or unknown row and nothing is stored, the report names each row (its line
and why), so a list is never half applied.  Size limits are checked first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from services.cases import store
from services.cases.lifecycle import Actor, CaseRefused, Origin
from services.cases.service import open_case
from services.identity import IdHasher, normalise, validate_cn_id
from services.storage.models import PersonRow
from ui.i18n import Phrase

MAX_BYTES = 4 * 1024 * 1024
"""100,000 ID numbers with their line ends are under 2 MB."""
MAX_ROWS = 100_000
MAX_PROBLEMS_SHOWN = 1000
CHUNK = 500
PERSON_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
HEADERS = frozenset({"person_id", "id", "id_number", "学号", "工号", "身份证号", "编号"})
SEPARATORS = re.compile(r"[,;\t，]")


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    value: str  # as shown: an ID number masked, anything else cut short
    reason: str


@dataclass(frozen=True, slots=True)
class ListEntry:
    line: int
    value: str
    id_number: bool  # a well-formed resident ID number (else a roster person id)


@dataclass
class BulkReport:
    rows: int = 0
    matched: int = 0
    opened: list[str] = field(default_factory=list)  # new case ids
    joined: list[str] = field(default_factory=list)  # cases already isolating them
    problems: list[RowProblem] = field(default_factory=list)  # the first MAX_PROBLEMS_SHOWN
    problem_count: int = 0
    written: bool = False

    def problem(self, line: int, value: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(RowProblem(line, value, reason))


def shown(value: str) -> str:
    """A value fit for a report: ID numbers masked, the rest cut and stripped of controls."""
    if validate_cn_id(value) is None:
        return mask_id_number(normalise(value)[-4:])
    clean = "".join(c if c.isprintable() else "?" for c in value)
    return clean[:40] + ("…" if len(clean) > 40 else "")


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    if len(data) > MAX_BYTES:
        raise CaseRefused("list_too_large", f"the list is over {MAX_BYTES // 1024 // 1024} MB",
                          "invalid")  # fmt: skip
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseRefused("list_not_utf8", f"the list is not UTF-8 text (byte {exc.start})",
                          "invalid") from exc  # fmt: skip
    yield from enumerate(text.splitlines(), start=1)


def parse_list(data: bytes, report: BulkReport) -> list[ListEntry]:
    """The list's rows; each bad one goes into ``report`` with its line and why."""
    entries: list[ListEntry] = []
    for number, line in _lines(data):
        value = SEPARATORS.split(line, maxsplit=1)[0].strip().strip("\"'").strip()
        if not value or value.startswith("#") or (number == 1 and value.lower() in HEADERS):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.problem(number, "", Phrase("bulk.too_many", rows=f"{MAX_ROWS:,}"))
            break
        if validate_cn_id(value) is None:
            entries.append(ListEntry(number, normalise(value), id_number=True))
        elif PERSON_ID.fullmatch(value):
            entries.append(ListEntry(number, value, id_number=False))
        else:
            report.problem(number, shown(value), Phrase("bulk.not_an_id"))
    return entries


def _by_hash(session: Session, hashes: list[str]) -> dict[str, PersonRow]:
    found: dict[str, PersonRow] = {}
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start : start + CHUNK]
        for person in session.scalars(select(PersonRow).where(PersonRow.id_hash.in_(chunk))):
            found.setdefault(person.id_hash, person)
    return found


def match(
    session: Session, entries: list[ListEntry], hasher: IdHasher, report: BulkReport
) -> list[PersonRow]:
    """The people the rows name (each once, in list order); unknown rows into ``report``."""
    hashes = {e.value: hasher.hash(e.value) for e in entries if e.id_number}
    by_hash = _by_hash(session, sorted(set(hashes.values())))
    by_id = store.persons(session=session, person_ids=sorted({e.value for e in entries}))
    people: dict[str, PersonRow] = {}
    for entry in entries:
        person = by_hash.get(hashes[entry.value]) if entry.id_number else None
        person = person or by_id.get(entry.value)
        if person is None:
            report.problem(entry.line, shown(entry.value), Phrase("bulk.unknown"))
        else:
            people.setdefault(person.person_id, person)
    report.matched = len(people)
    return list(people.values())


def isolate_list(
    session: Session,
    site: str,
    data: bytes,
    *,
    hasher: IdHasher,
    origin: Origin,
    note: str,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
) -> BulkReport:
    """Open (or join) a case for everyone the list names; all or nothing."""
    if actor.role != "clinic":
        raise CaseRefused("not_clinician", f"{actor.role} may not open a case", "forbidden")
    report = BulkReport()
    people = match(session, parse_list(data, report), hasher, report)
    if report.problem_count or dry_run:
        return report
    for person in people:
        row, new = open_case(session, site, person, origin=origin, note=note, actor=actor, now=now)
        (report.opened if new else report.joined).append(row.case_id)
    report.written = True
    return report
