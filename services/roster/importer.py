"""Importing the whitelist (白名单): validate every row, upsert the good ones in bulk.

Files are CSV or XLSX with English or Chinese headers (see
:mod:`services.roster.columns`).  Every bad row is reported with its line,
column and reason and the rest still import; ``strict`` imports nothing when
any row is bad; ``dry_run`` reports what would change and writes nothing.

The upsert is idempotent: a row equal to what is stored changes nothing (not
even ``updated_at``), so importing the same file twice reports it unchanged.
``sync`` deactivates the active people (optionally of some kinds) that the file
does not name: the roster file becomes the whitelist; more than
:data:`SYNC_MAX_SHARE` of the active roster is refused without ``force`` (an empty
or cut-off file must not lock the campus out).  Photos come from a ZIP named by
person id or a row's path (:class:`~services.roster.photo_zip.PhotoSource`); a
row whose photo is bad is a bad row.  The raw ID number is
never stored or logged: only its keyed hash and last four digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from kernel.errors import Refused
from kernel.localtime import site_zone
from services.identity import IdHasher
from services.roster.parse import PersonValues, RowInvalid, parse_row
from services.roster.photo_zip import PhotoSource
from services.roster.photos import Photo, PhotoInvalid, process_photo, store_photo
from services.roster.source import Sheet, csv_sheet, open_roster
from services.storage.models import AuditLogRow, PersonRow
from ui.i18n import Lang, Phrase, say, t

CHUNK = 500
PROGRESS_EVERY = 1000
SYNC_MAX_SHARE = 0.10  # --sync deactivates at most this share of the active roster unforced
# Columns an import compares and writes (return approval is handled apart).
COMPARED = (
    "name", "kind", "id_hash", "id_last4", "unit", "household", "valid_from", "valid_until",
    "gates", "doc_type", "card_no", "phone", "class_name", "dormitory",
)  # fmt: skip

Progress = Callable[[int, int | None], None]


class SyncRefused(Refused):
    """``--sync`` would deactivate more than :data:`SYNC_MAX_SHARE` of the active roster."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: the line as the user sees it, the column header, why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: Lang) -> str:
        """The problem as the validation report says it, in ``lang``."""
        column = t(lang, "imp.row") if self.column == "(row)" else self.column
        return t(lang, "imp.row_error", line=self.line, column=column,
                 reason=say(lang, self.reason))  # fmt: skip


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    photos: int = 0  # photos stored (new or changed)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    def summary(self, lang: Lang = "en") -> str:
        verb = t(lang, "imp.would_import" if self.dry_run or not self.written else "imp.imported")
        return t(lang, "imp.summary", verb=verb, inserted=self.inserted, updated=self.updated,
                 unchanged=self.unchanged, deactivated=self.deactivated,
                 bad=len(self.bad_lines), rows=self.rows)  # fmt: skip


def _stored_values(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COMPARED}


def _new_values(values: PersonValues) -> dict[str, Any]:
    return {name: getattr(values, name) for name in COMPARED}


PERSONS: Table = PersonRow.__table__  # type: ignore[assignment]


def _existing(session: Session, person_ids: list[str]) -> dict[str, Any]:
    table = PERSONS
    found: dict[str, Any] = {}
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        query = select(
            table.c.person_id, table.c.active, table.c.return_approved,
            *(table.c[name] for name in COMPARED),
        ).where(table.c.person_id.in_(chunk))  # fmt: skip
        for row in session.connection().execute(query):
            found[row.person_id] = row
    return found


def _validate(
    sheet: Sheet,
    report: ImportReport,
    *,
    hasher: IdHasher,
    tz: ZoneInfo,
    progress: Progress | None,
) -> tuple[dict[str, tuple[int, PersonValues]], dict[str, int]]:
    """The good rows by person id (with their line), and every person id any row named."""
    good: dict[str, tuple[int, PersonValues]] = {}
    seen_ids: dict[str, int] = {}  # every person id named on any row, good or bad
    by_hash: dict[str, tuple[int, str]] = {}
    by_card: dict[str, tuple[int, str]] = {}
    for line, cells in sheet.rows:
        report.rows += 1
        if progress is not None and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows, sheet.total_rows)
        if "__error__" in cells:
            report.errors.append(RowError(line, "(row)", str(cells["__error__"])))
            continue
        named = str(cells.get("person_id") or "").strip()
        try:
            values = parse_row(cells, hasher=hasher, tz=tz)
        except RowInvalid as exc:
            for name, reason in exc.problems:
                report.errors.append(RowError(line, sheet.column_of(name), reason))
            if named:
                seen_ids.setdefault(named, line)
            continue
        first = seen_ids.get(values.person_id)
        if first is not None:
            report.errors.append(RowError(
                line, sheet.column_of("person_id"),
                Phrase("imp.p.duplicate_person", person=repr(values.person_id), first=first),
            ))  # fmt: skip
            continue
        seen_ids[values.person_id] = line
        if values.card_no is not None:
            holder = by_card.setdefault(values.card_no, (line, values.person_id))
            if holder[0] != line:
                report.errors.append(RowError(
                    line, sheet.column_of("card_no"),
                    Phrase("imp.p.duplicate_card", card=values.card_no, holder=repr(holder[1]),
                           line=holder[0]),
                ))  # fmt: skip
                continue
        twin = by_hash.get(values.id_hash)
        if twin is not None:
            report.warnings.append(Phrase("imp.w.same_id", line=line, twin=twin[0], name=twin[1]))
        else:
            by_hash[values.id_hash] = (line, values.person_id)
        good[values.person_id] = (line, values)
    if progress is not None:
        progress(report.rows, report.rows)
    return good, seen_ids


def _card_conflicts(
    session: Session, good: dict[str, tuple[int, PersonValues]], report: ImportReport, column: str
) -> None:
    """Drop the rows whose card number a stored person keeps (one not giving it up here)."""
    wanted = {v.card_no: pid for pid, (_line, v) in good.items() if v.card_no is not None}
    table = PERSONS
    stored: dict[str, str] = {}
    cards = sorted(wanted)
    for start in range(0, len(cards), CHUNK):
        query = select(table.c.card_no, table.c.person_id).where(
            table.c.card_no.in_(cards[start : start + CHUNK])
        )
        stored.update((card, pid) for card, pid in session.connection().execute(query))
    for card, holder in stored.items():
        person_id = wanted[card]
        moving = holder in good and good[holder][1].card_no != card
        if holder != person_id and not moving:
            line = good.pop(person_id)[0]
            report.errors.append(RowError(
                line, column, Phrase("imp.p.card_taken", card=card, holder=repr(holder)),
            ))  # fmt: skip


def _photos(
    good: dict[str, tuple[int, PersonValues]], source: PhotoSource, report: ImportReport,
    column: str,
) -> dict[str, Photo]:  # fmt: skip
    """Each good row's photo, checked and re-encoded; a row with a bad one is a bad row."""
    found: dict[str, Photo] = {}
    refused: set[str] = set()
    for person_id, (line, values) in list(good.items()):
        try:
            given = source.for_row(person_id, values.photo)
            if given is not None:
                found[person_id] = process_photo(given[1], name=given[0])
        except PhotoInvalid as exc:
            good.pop(person_id)
            refused.add(person_id)
            report.errors.append(RowError(line, column, str(exc)))
    strays = sorted(set(source.by_person) - set(good) - refused)
    if strays:
        report.warnings.append(
            f"{len(strays)} photo(s) in the ZIP name nobody imported here: "
            + ", ".join(source.by_person[p][0] for p in strays[:10])
        )
    return found


def _plan(
    session: Session,
    good: dict[str, tuple[int, PersonValues]],
    report: ImportReport,
    *,
    actor: str,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows to insert and changes to write; counts them (and the unchanged) in ``report``."""
    existing = _existing(session, list(good))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for person_id, (_line, values) in good.items():
        new = _new_values(values)
        stored = existing.get(person_id)
        if stored is None:
            approved = True if values.return_approved is None else values.return_approved
            inserts.append({
                "person_id": person_id, **new, "active": True, "return_approved": approved,
                "return_approved_by": actor if values.return_approved is not None else None,
                "return_approved_at": now if values.return_approved is not None else None,
                "updated_at": now,
            })  # fmt: skip
            continue
        old = _stored_values(stored)
        changed = {k: v for k, v in new.items() if old[k] != v}
        if not stored.active:
            changed["active"] = True
        if values.return_approved is not None and values.return_approved != stored.return_approved:
            changed.update(return_approved=values.return_approved,
                           return_approved_by=actor, return_approved_at=now)  # fmt: skip
        if changed:
            updates.append({"person_id": person_id, **changed, "updated_at": now})
        else:
            report.unchanged += 1
    report.inserted = len(inserts)
    report.updated = len(updates)
    return inserts, updates


def _missing(
    session: Session, report: ImportReport, seen_ids: dict[str, int], kinds: Collection[str] | None
) -> tuple[list[str], int]:
    """``--sync``: the active people (of ``kinds``) the file does not name, to deactivate;
    and how many people are active (of ``kinds``)."""
    if report.errors:
        report.warnings.append(
            "--sync deactivated nobody: the file has bad rows, so who is missing is not certain"
        )
        return [], 0
    table = PERSONS
    query = select(table.c.person_id).where(table.c.active)
    if kinds:
        query = query.where(table.c.kind.in_(list(kinds)))
    active = set(session.connection().execute(query).scalars())
    return sorted(active - seen_ids.keys()), len(active)


def _sync_guard(report: ImportReport, missing: int, active: int, *, force: bool) -> None:
    """An empty or cut-off file must not lock the campus out: past SYNC_MAX_SHARE, ask --force."""
    if force or missing == 0 or missing <= SYNC_MAX_SHARE * active:
        return
    message = (
        f"--sync would deactivate {missing} of {active} active people, more than "
        f"{SYNC_MAX_SHARE:.0%}: is the file complete? (--force to do it anyway)"
    )
    if report.dry_run:
        report.warnings.append(message)
        return
    raise SyncRefused(message)


def import_sheet(
    sheet: Sheet,
    *,
    session: Session,
    hasher: IdHasher,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
    actor: str = "roster import",
    strict: bool = False,
    dry_run: bool = False,
    sync: bool = False,
    sync_kinds: Collection[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    source_name: str = "",
    photos: PhotoSource | None = None,
) -> ImportReport:
    """Validate the sheet's rows and upsert the good ones (in the caller's transaction)."""
    tz = tz or site_zone()
    now = now or datetime.now(UTC)
    report = ImportReport(dry_run=dry_run)
    if sheet.unknown_headers:
        report.warnings.append(
            Phrase(
                "imp.w.ignored", line=sheet.header_line, columns=", ".join(sheet.unknown_headers)
            )
        )
    good, seen_ids = _validate(sheet, report, hasher=hasher, tz=tz, progress=progress)
    _card_conflicts(session, good, report, sheet.column_of("card_no"))
    found = _photos(good, photos, report, sheet.column_of("photo")) if photos else {}
    inserts, updates = _plan(session, good, report, actor=actor, now=now)
    to_deactivate, active = _missing(session, report, seen_ids, sync_kinds) if sync else ([], 0)
    report.deactivated = len(to_deactivate)
    _sync_guard(report, len(to_deactivate), active, force=force)
    if dry_run:
        return report
    if strict and report.errors:
        report.inserted = report.updated = report.unchanged = report.deactivated = 0
        return report
    _write(session, inserts, updates, to_deactivate, now)
    report.photos = sum(
        store_photo(session=session, person_id=pid, photo=photo, now=now)
        for pid, photo in found.items()
    )
    session.add(AuditLogRow(
        at=now, actor=actor[:64], role="admin", action="roster.import", target=source_name[:500],
        params_json=json.dumps({
            "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
            "unchanged": report.unchanged, "deactivated": report.deactivated,
            "bad_rows": len(report.bad_lines), "sync": sync, "strict": strict,
        }),
        result_count=report.inserted + report.updated + report.deactivated,
    ))  # fmt: skip
    session.flush()
    report.written = True
    return report


def _write(
    session: Session,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    deactivate: list[str],
    now: datetime,
) -> None:
    table = PERSONS
    connection = session.connection()
    # A card passed from one person to another: free every changing card first, so the
    # unique card number holds after each statement whatever the order.
    moving = [row["person_id"] for row in updates if "card_no" in row]
    for start in range(0, len(moving), CHUNK):
        chunk = moving[start : start + CHUNK]
        connection.execute(update(table).where(table.c.person_id.in_(chunk)).values(card_no=None))
    if inserts:
        connection.execute(insert(table), inserts)
    # One executemany per distinct set of changed columns (usually one or two).
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        keys = tuple(sorted(k for k in row if k != "person_id"))
        groups.setdefault(keys, []).append({f"b_{k}": v for k, v in row.items()})
    for keys, rows in groups.items():
        statement = (
            update(table)
            .where(table.c.person_id == bindparam("b_person_id"))
            .values({k: bindparam(f"b_{k}") for k in keys})
        )
        connection.execute(statement, rows)
    for start in range(0, len(deactivate), CHUNK):
        chunk = deactivate[start : start + CHUNK]
        connection.execute(
            update(table).where(table.c.person_id.in_(chunk)).values(active=False, updated_at=now)
        )


def import_roster(
    lines: Iterable[str],
    *,
    session: Session,
    hasher: IdHasher,
    strict: bool = False,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
    dry_run: bool = False,
    sync: bool = False,
) -> ImportReport:
    """Import CSV text lines (the header first); see :func:`import_sheet`."""
    return import_sheet(
        csv_sheet(lines), session=session, hasher=hasher, strict=strict, now=now, tz=tz,
        dry_run=dry_run, sync=sync,
    )  # fmt: skip


def import_file(
    path: Path,
    *,
    session: Session,
    hasher: IdHasher,
    sheet_name: str | None = None,
    **options: Any,
) -> ImportReport:
    """Import a CSV or XLSX file; ``options`` as for :func:`import_sheet`."""
    sheet = open_roster(path, sheet=sheet_name)
    return import_sheet(sheet, session=session, hasher=hasher, source_name=path.name, **options)
