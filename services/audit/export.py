"""Audit results to CSV or XLSX (names already masked by the asker's role), in the asker's
language (headers, directions, decisions, reasons as words) and on the site's clock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from kernel.localtime import site_zone
from services.audit.queries import EntryView
from services.audit.trace import TraceReport
from services.exports import TableFormat, safe_cell, write_table
from ui.i18n import Lang, reasons_text, site_lang, t, word

# Column headers, as catalogue keys (tests/i18n/test_catalogue.py checks each has words).
ENTRY_HEADERS = (
    "exp.col.time",
    "exp.col.site",
    "exp.col.gate",
    "exp.col.direction",
    "exp.col.decision",
    "exp.col.reasons",
    "exp.col.celsius",
    "exp.col.person_id",
    "exp.col.name",
    "exp.col.kind",
    "exp.col.grant",
    "exp.col.case",
    "exp.col.policy_version",
    "exp.col.sensor",
    "exp.col.event_id",
)
CONTACT_HEADERS = (
    "exp.col.who",
    "exp.col.name",
    "exp.col.kind",
    "exp.col.encounters",
    "exp.col.closest",
    "exp.col.gates",
    "exp.col.first",
    "exp.col.last",
)
COLUMNS = (ENTRY_HEADERS, CONTACT_HEADERS)


def _header(lang: Lang, keys: Sequence[str]) -> list[str]:
    return [t(lang, key) for key in keys]


def entry_row(e: EntryView, lang: Lang) -> list[object]:
    return [
        e.ts,
        e.site,
        e.gate,
        word(lang, "direction", e.direction),
        word(lang, "decision", e.decision),
        reasons_text(lang, e.reasons),
        e.celsius,
        e.person_id,
        e.name,
        word(lang, "kind", e.kind) if e.kind else None,
        e.grant_id,
        e.case_id,
        e.policy_version,
        e.sensor,
        e.event_id,
    ]


def export_entries(
    path: Path,
    entries: Sequence[EntryView],
    *,
    fmt: TableFormat,
    lang: Lang | None = None,
    tz: ZoneInfo | None = None,
) -> int:
    chosen = lang or site_lang()
    return write_table(
        path,
        _header(chosen, ENTRY_HEADERS),
        (entry_row(e, chosen) for e in entries),
        fmt=fmt,
        sheet=t(chosen, "exp.entries"),
        tz=tz or site_zone(),
    )


def export_trace(
    path: Path,
    report: TraceReport,
    *,
    fmt: TableFormat,
    lang: Lang | None = None,
    tz: ZoneInfo | None = None,
) -> int:
    chosen, zone = lang or site_lang(), tz or site_zone()
    contacts = [
        [
            c.who,
            c.name,
            word(chosen, "kind", c.kind) if c.kind else None,
            c.encounters,
            round(c.closest_seconds),
            ",".join(c.gates),
            c.first,
            c.last,
        ]
        for c in report.contacts
    ]
    if fmt == "csv":
        return write_table(path, _header(chosen, CONTACT_HEADERS), contacts, fmt="csv", tz=zone)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(t(chosen, "exp.trace"))
    summary.append([t(chosen, "exp.person"), report.person_id])
    summary.append([t(chosen, "exp.col.name"), report.name])
    summary.append([t(chosen, "exp.from"), safe_cell(report.since, zone)])
    summary.append([t(chosen, "exp.until"), safe_cell(report.until, zone)])
    summary.append([t(chosen, "exp.window"), report.window_minutes])
    summary.append([t(chosen, "exp.passages"), len(report.passages)])
    summary.append([t(chosen, "exp.contacts"), len(report.contacts)])
    sheet = workbook.create_sheet(t(chosen, "exp.contacts"))
    sheet.append(_header(chosen, CONTACT_HEADERS))
    for row in contacts:
        sheet.append([safe_cell(v, zone) for v in row])
    passages = workbook.create_sheet(t(chosen, "exp.passages"))
    passages.append(_header(chosen, ENTRY_HEADERS))
    for e in report.passages:
        passages.append([safe_cell(v, zone) for v in entry_row(e, chosen)])
    workbook.save(path)
    return len(contacts)
