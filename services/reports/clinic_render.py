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
from services.reports.render import Flow, fonts, generated, has_cjk_font, header
from ui.i18n import Lang, t

# The clinic's report goes upward in the office's form: in Chinese, whatever --lang says.
LANG: Lang = "zh-CN"

ClinicFormat = Literal["txt", "csv", "xlsx", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def clinic_title(report: DailyReport, *, cjk: bool = True) -> str:
    words = "校医院上报" if cjk else "Clinic report"  # without a CJK font only Latin draws
    return f"{words} — {report.site} — {report.day.isoformat()}"


def sections(report: DailyReport) -> list[tuple[str, list[str], list[list[object]]]]:
    """(name, header, rows) of every table the files hold, worded."""
    census = report.census
    assert census is not None
    zone = ZoneInfo(report.timezone)
    figures = [[t(LANG, f"rpt.fig.{key}"), value] for key, value in census_figures(census)]
    return [
        (t(LANG, "rpt.sec.census"), header(LANG, ("rpt.col.figure", "rpt.col.value")), figures),
        (t(LANG, "rpt.sec.checkins"), header(LANG, CHECKIN_HEADER), checkin_rows(census)),
        (t(LANG, "rpt.sec.new_cases"), header(LANG, ("rpt.col.what", "rpt.col.count")),
         origin_rows(census, LANG)),
        (t(LANG, "rpt.sec.followup"), header(LANG, FOLLOWUP_HEADER),
         followup_rows(census, zone, LANG)),
    ]  # fmt: skip


def write_csv(report: DailyReport, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([clinic_title(report)])
        writer.writerow([t(LANG, "rpt.generated"), generated(report),
                         t(LANG, "rpt.time_zone"), report.timezone])  # fmt: skip
        writer.writerow([])
        writer.writerow([t(LANG, "rpt.sec.clinic")])
        for line in clinic_report(report).splitlines():
            writer.writerow([safe_cell(line)])
        writer.writerow([])
        for name, head, rows in sections(report):
            writer.writerow([name])
            writer.writerow(head)
            writer.writerows([safe_cell(v) for v in row] for row in rows)
            writer.writerow([])


def write_xlsx(report: DailyReport, path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = t(LANG, "rpt.sec.clinic")
    first.append([clinic_title(report)])
    first["A1"].font = Font(bold=True, size=14)
    for line in clinic_report(report).splitlines():
        first.append([safe_cell(line)])
    first.column_dimensions["A"].width = 90

    def sheet(name: str, head: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        ws = workbook.create_sheet(name[:31])
        ws.append(list(head))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])

    for name, head, rows in sections(report):
        sheet(name, head, rows)
    workbook.save(path)


def write_pdf(report: DailyReport, path: Path) -> None:
    cjk = has_cjk_font()
    metadata = {"Title": clinic_title(report), "Creator": "campusgate"}
    with fonts(), PdfPages(path, metadata=metadata) as pdf:
        flow = Flow(pdf, report, LANG, clinic_title(report, cjk=cjk))
        flow.text(t(LANG, "rpt.generated_line", at=generated(report), zone=report.timezone))
        if cjk:  # the report's own words are Chinese: only where they can be drawn
            for line in clinic_report(report).splitlines():
                flow.text(line, size=9, colour="#000000")
        for name, head, rows in sections(report):
            flow.table(name, head, rows)
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
