"""The daily report as CSV, XLSX (with the chart) or PDF (with the chart), via matplotlib Agg.

Every word comes from the one catalogue (``ui.i18n``) in the language asked (the
site's by default), reasons as words, never codes; every time is on the site's
clock with its offset (``kernel.localtime.local_iso``).  The column headers are
catalogue keys in the tables below (``COLUMNS``), which tests/i18n checks.

matplotlib is used without pyplot (a ``Figure`` per drawing), so rendering is
safe off the main thread and never opens a window.  Chinese text uses a CJK
font when one is installed (Noto Sans CJK), with DejaVu Sans as the fallback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlsxImage
from openpyxl.styles import Font

from kernel.localtime import local_iso
from services.exports import safe_cell
from services.reports.census_render import (
    CHECKIN_HEADER,
    FOLLOWUP_HEADER,
    census_figures,
    checkin_rows,
    followup_rows,
    origin_rows,
)
from services.reports.daily import DECISIONS, NO_SENSOR, DailyReport
from ui.i18n import Lang, reason_words, site_lang, t, word

ReportFormat = Literal["csv", "xlsx", "pdf"]
Rect = tuple[float, float, float, float]
COLOURS = {"admit": "#2e7d32", "recheck": "#f9a825", "deny": "#c62828", "isolate": "#6a1b9a"}
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC")


@lru_cache(maxsize=1)
def font_family() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [*[name for name in CJK_FONTS if name in installed][:1], "DejaVu Sans"]


def has_cjk_font() -> bool:
    return len(font_family()) > 1


# Column headers, as catalogue keys (tests/i18n/test_catalogue.py checks each has words).
SUMMARY_HEADER = ("rpt.col.figure", "rpt.col.value")
BY_GATE_HEADER = ("rpt.col.gate", "rpt.col.direction", "rpt.col.kind", "rpt.col.decision",
                  "rpt.col.count")  # fmt: skip
HOURS_HEADER = ("rpt.col.hour", *(f"decision.{d}" for d in DECISIONS))
GATES_HEADER = ("rpt.col.gate", *(f"decision.{d}" for d in DECISIONS), "rpt.col.total")
DENIAL_HEADER = ("rpt.col.reason", "rpt.col.count")
THERMOMETER_HEADER = ("rpt.col.sensor", "rpt.col.fever_cases", "rpt.col.remeasured",
                      "rpt.col.below", "rpt.col.rate")  # fmt: skip
OUTCOME_HEADER = ("rpt.col.outcome", "rpt.col.count")
ORIGIN_HEADER = ("rpt.col.what", "rpt.col.count")
COLUMNS = (SUMMARY_HEADER, BY_GATE_HEADER, HOURS_HEADER, GATES_HEADER, DENIAL_HEADER,
           THERMOMETER_HEADER, OUTCOME_HEADER, ORIGIN_HEADER, CHECKIN_HEADER)  # fmt: skip


def header(lang: Lang, keys: Sequence[str]) -> list[str]:
    return [t(lang, key) for key in keys]


def generated(report: DailyReport) -> str:
    """When the report was made, on the site's clock with its offset."""
    return local_iso(report.generated_at, ZoneInfo(report.timezone))


def title(report: DailyReport, lang: Lang) -> str:
    kind = t(lang, "rpt.zero_report" if report.zero else "rpt.daily")
    return t(lang, "rpt.title", kind=kind, site=report.site, day=report.day.isoformat())


def key_figures(report: DailyReport, lang: Lang) -> list[tuple[str, object]]:
    c, v = report.cases, report.visitors
    figures: list[tuple[str, object]] = [
        ("passages", report.entries),
        ("in_out", f"{report.by_direction['in']} / {report.by_direction['out']}"),
        ("admitted", report.by_decision["admit"]),
        ("denied", report.denials),
        ("recheck", report.by_decision["recheck"]),
        ("isolated", report.by_decision["isolate"]),
        ("fevers", report.fevers),
        ("cases_opened_closed", f"{c.opened} / {c.closed}"),
        ("cases_open_end", c.open_at_end),
        ("cases_unack", c.unacknowledged_at_end),
        ("cases_escalated", c.escalated),
        ("visitors", f"{v.expected} / {v.admitted}"),
        ("appointments", f"{v.requested} / {v.approved} / {v.refused}"),
        ("passes", f"{v.passes_issued} / {v.pass_entries}"),
        ("household_exits", report.household_exits),
        ("rejected", report.rejected_messages),
        ("policy_versions", ", ".join(map(str, report.policy_versions)) or "-"),
        *([] if report.census is None else census_figures(report.census)),
    ]
    return [(t(lang, f"rpt.fig.{name}"), value) for name, value in figures]


def thermometer_rows(report: DailyReport, lang: Lang) -> list[list[object]]:
    """Per sensor; fevers no sensor measured (typed by hand) under the catalogue's "none"."""
    return [
        [
            t(lang, "rpt.none") if s.sensor == NO_SENSOR else s.sensor,
            s.fever_cases,
            s.remeasured,
            s.below_threshold,
            "-" if s.rate is None else f"{s.rate:.0%}",
        ]
        for s in report.thermometers
    ]


def denial_rows(report: DailyReport, lang: Lang) -> list[list[object]]:
    """Denials by reason, each reason in words (不在白名单), never its code."""
    return [[reason_words(lang, reason), n] for reason, n in report.denial_reasons.items()]


def by_gate_rows(report: DailyReport, lang: Lang) -> list[list[object]]:
    return [
        [g.gate, word(lang, "direction", g.direction), word(lang, "kind", g.kind),
         word(lang, "decision", g.decision), g.count]
        for g in report.by_gate
    ]  # fmt: skip


def outcome_rows(report: DailyReport, lang: Lang) -> list[list[object]]:
    return [[word(lang, "outcome", o), n] for o, n in report.cases.outcomes.items()]


def hour_rows(report: DailyReport) -> list[list[object]]:
    return [[h, *(report.by_hour[h][d] for d in DECISIONS)] for h in range(24)]


def gate_rows(report: DailyReport) -> list[list[object]]:
    return [
        [g, *(counts[d] for d in DECISIONS), sum(counts.values())]
        for g, counts in report.gate_totals().items()
    ]


# --- the chart --------------------------------------------------------------------------------


def draw_hours(figure: Figure, report: DailyReport, lang: Lang, rect: Rect | None = None) -> None:
    axes = figure.add_axes(rect or (0.08, 0.15, 0.9, 0.72))
    hours = list(range(24))
    bottom = [0] * 24
    for decision in DECISIONS:
        values = [report.by_hour[h].get(decision, 0) for h in hours]
        if any(values):
            axes.bar(
                hours,
                values,
                bottom=bottom,
                color=COLOURS[decision],
                label=t(lang, f"decision.{decision}"),
                width=0.85,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlim(-0.6, 23.6)
    axes.set_xlabel(t(lang, "chart.hour", zone=report.timezone))
    axes.set_ylabel(t(lang, "chart.passages"))
    axes.set_title(t(lang, "chart.title"))
    if report.entries:
        axes.legend(loc="upper left", fontsize=8, ncols=4)
    else:
        axes.set_ylim(0, 1)
        axes.text(11.5, 0.5, t(lang, "chart.empty"), ha="center", va="center", fontsize=12)
    axes.grid(axis="y", alpha=0.3)


def chart_figure(report: DailyReport, lang: Lang) -> Figure:
    """The chart as a figure (its texts are what a person reads on it)."""
    figure = Figure(figsize=(8, 3.4))
    with fonts():
        draw_hours(figure, report, lang)
    return figure


def chart_png(report: DailyReport, lang: Lang | None = None, *, dpi: int = 110) -> bytes:
    figure = Figure(figsize=(8, 3.4), dpi=dpi)
    with fonts():
        draw_hours(figure, report, lang or site_lang())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


class fonts:  # noqa: N801 - used as a context manager
    """Temporarily the report fonts (matplotlib's rcParams are global)."""

    def __enter__(self) -> None:
        import matplotlib as mpl  # noqa: PLC0415

        self._saved = mpl.rcParams["font.family"]
        mpl.rcParams["font.family"] = font_family()

    def __exit__(self, *_exc: object) -> None:
        import matplotlib as mpl  # noqa: PLC0415

        mpl.rcParams["font.family"] = self._saved


# --- CSV -----------------------------------------------------------------------------------------


Section = tuple[str, Sequence[str], list[list[object]]]


def _sections(report: DailyReport, lang: Lang) -> list[Section]:
    """(name, header keys, rows) of every table the CSV and XLSX files hold, in order; the
    name keys ``rpt.sec.NAME`` (a CSV section's title) and ``rpt.sec.NAME_short`` (a sheet's)."""
    sections: list[Section] = [
        ("gates", GATES_HEADER, gate_rows(report)),
        ("by_gate", BY_GATE_HEADER, by_gate_rows(report, lang)),
        ("hours", HOURS_HEADER, hour_rows(report)),
        ("denials", DENIAL_HEADER, denial_rows(report, lang)),
        ("thermometers", THERMOMETER_HEADER, thermometer_rows(report, lang)),
        ("cases", OUTCOME_HEADER, outcome_rows(report, lang)),
    ]
    if report.census is not None:
        sections.append(("checkins", CHECKIN_HEADER, checkin_rows(report.census)))
        sections.append(("new_cases", ORIGIN_HEADER, origin_rows(report.census, lang)))
        zone = ZoneInfo(report.timezone)
        sections.append(("followup", FOLLOWUP_HEADER, followup_rows(report.census, zone, lang)))
    return sections


def _head(report: DailyReport, lang: Lang) -> list[tuple[str, str]]:
    return [
        (t(lang, "rpt.generated"), generated(report)),
        (t(lang, "rpt.time_zone"), report.timezone),
        (t(lang, "rpt.chain_head"), report.chain_anchor),
    ]


def write_csv(report: DailyReport, path: Path, lang: Lang) -> None:
    """Sections one under another: a title row, a header row, rows, a blank line."""

    def section(
        writer: Any, name: str, head: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        writer.writerow([name])
        writer.writerow(header(lang, head))
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        writer.writerow([])

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([title(report, lang)])
        writer.writerow([cell for pair in _head(report, lang) for cell in pair])
        writer.writerow([])
        section(writer, t(lang, "rpt.sec.summary"), SUMMARY_HEADER, key_figures(report, lang))
        for name, head, rows in _sections(report, lang):
            section(writer, t(lang, f"rpt.sec.{name}"), head, rows)


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(report: DailyReport, path: Path, lang: Lang, *, chart: bytes | None = None) -> None:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = t(lang, "rpt.sec.summary")
    summary.append([title(report, lang)])
    summary["A1"].font = Font(bold=True, size=14)
    for label, text in _head(report, lang):
        summary.append([label, text])
    summary.append([])
    for label, value in key_figures(report, lang):
        summary.append([label, safe_cell(value)])
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 16
    image = XlsxImage(io.BytesIO(chart or chart_png(report, lang)))
    summary.add_image(image, "D2")
    for name, head, rows in _sections(report, lang):
        ws = workbook.create_sheet(t(lang, f"rpt.sec.{name}_short")[:31])
        ws.append(header(lang, head))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    workbook.save(path)


# --- PDF -----------------------------------------------------------------------------------------

PAGE = (8.27, 11.69)  # A4, inches
ROW_H = 0.019  # one table row, as a fraction of the page height
TOP, BOTTOM, LEFT, WIDTH = 0.93, 0.05, 0.06, 0.88


class Flow:
    """Blocks placed top to bottom on A4 pages, a new page when one does not fit."""

    def __init__(
        self, pdf: PdfPages, report: DailyReport, lang: Lang, heading: str | None = None
    ) -> None:
        self.pdf = pdf
        self.report = report
        self.lang = lang
        self.heading_text = heading or title(report, lang)
        self.page: Figure | None = None
        self.y = TOP

    def _new_page(self) -> Figure:
        if self.page is not None:
            self.pdf.savefig(self.page)  # type: ignore[no-untyped-call]
        self.page = Figure(figsize=PAGE)
        self.page.text(LEFT, 0.955, self.heading_text, fontsize=15, fontweight="bold")
        self.y = TOP
        return self.page

    def room(self, height: float) -> Figure:
        if self.page is None or self.y - height < BOTTOM:
            return self._new_page()
        return self.page

    def text(self, line: str, *, size: float = 8, colour: str = "#555555") -> None:
        page = self.room(0.02)
        page.text(LEFT, self.y - 0.012, line, fontsize=size, color=colour)
        self.y -= 0.02

    def heading(self, text: str) -> None:
        page = self.room(0.03 + ROW_H * 2)
        page.text(LEFT, self.y - 0.02, text, fontsize=10, fontweight="bold")
        self.y -= 0.028

    def table(self, heading: str, head: Sequence[str], rows: list[list[object]]) -> None:
        shown = rows or [[t(self.lang, "rpt.none"), *[""] * (len(head) - 1)]]
        height = ROW_H * (len(shown) + 1)
        self.heading(heading)
        page = self.room(height)
        axes = page.add_axes((LEFT, self.y - height, WIDTH, height))
        axes.axis("off")
        table = axes.table(
            cellText=[[str(v) for v in r] for r in shown],
            colLabels=header(self.lang, head),
            cellLoc="left",
            colLoc="left",
            bbox=Bbox.from_bounds(0, 0, 1, 1),
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        self.y -= height + 0.025

    def chart(self, height: float = 0.3) -> None:
        page = self.room(height)
        rect = (LEFT + 0.05, self.y - height + 0.05, WIDTH - 0.07, height - 0.08)
        draw_hours(page, self.report, self.lang, rect)
        self.y -= height

    def close(self) -> None:
        if self.page is not None:
            self.pdf.savefig(self.page)  # type: ignore[no-untyped-call]


def write_pdf(report: DailyReport, path: Path, lang: Lang) -> None:
    metadata = {"Title": title(report, lang), "Creator": "campusgate"}
    with fonts(), PdfPages(path, metadata=metadata) as pdf:
        flow = Flow(pdf, report, lang)
        flow.text(t(lang, "rpt.generated_line", at=generated(report), zone=report.timezone))
        if report.zero:
            flow.text(t(lang, "rpt.zero_line"), size=10, colour="#2e7d32")
        flow.table(t(lang, "rpt.sec.summary"), SUMMARY_HEADER,
                   [[k, v] for k, v in key_figures(report, lang)])  # fmt: skip
        flow.chart()
        flow.table(t(lang, "rpt.sec.gates"), GATES_HEADER, gate_rows(report))
        flow.table(t(lang, "rpt.sec.denials"), DENIAL_HEADER, denial_rows(report, lang))
        flow.table(t(lang, "rpt.sec.cases"), OUTCOME_HEADER, outcome_rows(report, lang))
        if report.census is not None:
            flow.table(t(lang, "rpt.sec.checkins"), CHECKIN_HEADER, checkin_rows(report.census))
            flow.table(t(lang, "rpt.sec.followup"), FOLLOWUP_HEADER,
                       followup_rows(report.census, ZoneInfo(report.timezone), lang))  # fmt: skip
        flow.table(
            t(lang, "rpt.sec.thermometers"), THERMOMETER_HEADER, thermometer_rows(report, lang)
        )
        flow.text(t(lang, "rpt.chain_line"))
        flow.text(report.chain_anchor, size=7, colour="#000000")
        flow.close()


def write_report(
    report: DailyReport, path: Path, fmt: ReportFormat, lang: Lang | None = None
) -> None:
    """One report file in ``lang`` (default: the site's language)."""
    chosen = lang or site_lang()
    if fmt == "csv":
        write_csv(report, path, chosen)
    elif fmt == "xlsx":
        write_xlsx(report, path, chosen)
    else:
        write_pdf(report, path, chosen)
