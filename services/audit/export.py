"""Audit results to CSV or XLSX (names already masked by the asker's role)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from services.audit.queries import EntryView
from services.audit.trace import TraceReport
from services.exports import TableFormat, safe_cell, write_table

ENTRY_HEADERS = (
    "time",
    "site",
    "gate",
    "direction",
    "decision",
    "reasons",
    "celsius",
    "person_id",
    "name",
    "kind",
    "appointment/pass",
    "case",
    "policy_version",
    "sensor",
    "event_id",
)
CONTACT_HEADERS = (
    "who",
    "name",
    "kind",
    "encounters",
    "closest (s)",
    "gates",
    "first",
    "last",
)


def entry_row(e: EntryView) -> list[object]:
    return [
        e.ts,
        e.site,
        e.gate,
        e.direction,
        e.decision,
        " ".join(e.reasons),
        e.celsius,
        e.person_id,
        e.name,
        e.kind,
        e.grant_id,
        e.case_id,
        e.policy_version,
        e.sensor,
        e.event_id,
    ]


def export_entries(path: Path, entries: Sequence[EntryView], *, fmt: TableFormat) -> int:
    return write_table(
        path, ENTRY_HEADERS, (entry_row(e) for e in entries), fmt=fmt, sheet="entries"
    )


def export_trace(path: Path, report: TraceReport, *, fmt: TableFormat) -> int:
    contacts = [
        [
            c.who,
            c.name,
            c.kind,
            c.encounters,
            round(c.closest_seconds),
            ",".join(c.gates),
            c.first,
            c.last,
        ]
        for c in report.contacts
    ]
    if fmt == "csv":
        return write_table(path, CONTACT_HEADERS, contacts, fmt="csv")
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("trace")
    summary.append(["person", report.person_id])
    summary.append(["name", report.name])
    summary.append(["from", safe_cell(report.since)])
    summary.append(["until", safe_cell(report.until)])
    summary.append(["window (min)", report.window_minutes])
    summary.append(["passages", len(report.passages)])
    summary.append(["contacts", len(report.contacts)])
    sheet = workbook.create_sheet("contacts")
    sheet.append(list(CONTACT_HEADERS))
    for row in contacts:
        sheet.append([safe_cell(v) for v in row])
    passages = workbook.create_sheet("passages")
    passages.append(list(ENTRY_HEADERS))
    for e in report.passages:
        passages.append([safe_cell(v) for v in entry_row(e)])
    workbook.save(path)
    return len(contacts)
