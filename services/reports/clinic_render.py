"""The clinic's report to send upward (上报) as TXT, CSV, XLSX or PDF, like the census.

The same day's report as the daily one, cut to what the clinic sends: its text
(zh-CN), the census figures, check-ins per unit, new cases by what opened them and
the follow-up of cases under observation.  Counts and case ids only, no names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_pdf import PdfPages
from openpyxl import Workbook
from openpyxl.styles import Font

from services.exports import safe_cell
from services.reports.census_render import (
    CHECKIN_HEADER,
    FOLLOWUP_HEADER,
    census_figures,
    checkin_rows,
    clinic_report,
    followup_rows,
    origin_rows,
)
from services.reports.daily import DailyReport
from services.reports.render import Flow, fonts, has_cjk_font

ClinicFormat = Literal["txt", "csv", "xlsx", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def clinic_title(report: DailyReport, *, cjk: bool = True) -> str:
    words = "Clinic report 校医院上报" if cjk else "Clinic report"
    return f"{words} — {report.site} — {report.day.isoformat()}"


def sections(report: DailyReport) -> list[tuple[str, list[str], list[list[object]]]]:
    """(name, header, rows) of every table the files hold."""
    census = report.census
    assert census is not None
    zone = ZoneInfo(report.timezone)
    return [
        ("census", ["figure", "value"], [[k, v] for k, v in census_figures(census)]),
        ("check-ins per unit", CHECKIN_HEADER, checkin_rows(census)),
        ("new cases and incidents", ["what", "count"], origin_rows(census)),
        ("observation follow-up", FOLLOWUP_HEADER, followup_rows(census, zone)),
    ]


def write_csv(report: DailyReport, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([clinic_title(report)])
        writer.writerow(["generated", report.generated_at.isoformat(timespec="seconds"),
                         "time zone", report.timezone])  # fmt: skip
        writer.writerow([])
        writer.writerow(["report"])
        for line in clinic_report(report).splitlines():
            writer.writerow([safe_cell(line)])
        writer.writerow([])
        for name, header, rows in sections(report):
            writer.writerow([name])
            writer.writerow(header)
            writer.writerows([safe_cell(v) for v in row] for row in rows)
            writer.writerow([])


def write_xlsx(report: DailyReport, path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "report"
    first.append([clinic_title(report)])
    first["A1"].font = Font(bold=True, size=14)
    for line in clinic_report(report).splitlines():
        first.append([safe_cell(line)])
    first.column_dimensions["A"].width = 90

    def sheet(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        ws = workbook.create_sheet(name[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])

    for name, header, rows in sections(report):
        sheet(name, header, rows)
    workbook.save(path)


def write_pdf(report: DailyReport, path: Path) -> None:
    cjk = has_cjk_font()
    metadata = {"Title": clinic_title(report), "Creator": "campusgate"}
    with fonts(), PdfPages(path, metadata=metadata) as pdf:
        flow = Flow(pdf, report, clinic_title(report, cjk=cjk))
        flow.text(f"generated {report.generated_at.isoformat(timespec='seconds')}; "
                  f"times in {report.timezone}")  # fmt: skip
        if cjk:  # the report's own words are Chinese: only where they can be drawn
            for line in clinic_report(report).splitlines():
                flow.text(line, size=9, colour="#000000")
        for name, header, rows in sections(report):
            flow.table(name[:1].upper() + name[1:], header, rows)
        flow.close()


def write_clinic_report(report: DailyReport, path: Path, fmt: ClinicFormat) -> None:
    if fmt == "txt":
        path.write_text(clinic_report(report), encoding="utf-8")
    elif fmt == "csv":
        write_csv(report, path)
    elif fmt == "xlsx":
        write_xlsx(report, path)
    else:
        write_pdf(report, path)
