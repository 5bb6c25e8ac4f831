"""The daily report as CSV, XLSX (with the chart) or PDF (with the chart), via matplotlib Agg.

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

from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlsxImage
from openpyxl.styles import Font

from services.exports import safe_cell
from services.reports.census_render import CHECKIN_HEADER, census_figures, checkin_rows, origin_rows
from services.reports.daily import DECISIONS, DailyReport
from ui.i18n import reason_words

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


def title(report: DailyReport, *, cjk: bool = True) -> str:
    """The report's title; Chinese only where it can be drawn (``cjk``) or is text (CSV/XLSX)."""
    kind = "Zero report" if report.zero else "Daily report"
    if cjk:
        kind += " 零报告" if report.zero else " 日报告"
    return f"{kind} — {report.site} — {report.day.isoformat()}"


def key_figures(report: DailyReport) -> list[tuple[str, object]]:
    c, v = report.cases, report.visitors
    return [
        ("passages", report.entries),
        ("in / out", f"{report.by_direction['in']} / {report.by_direction['out']}"),
        ("admitted", report.by_decision["admit"]),
        ("denied", report.denials),
        ("recheck", report.by_decision["recheck"]),
        ("isolated", report.by_decision["isolate"]),
        ("fevers (>= threshold)", report.fevers),
        ("cases opened / closed", f"{c.opened} / {c.closed}"),
        ("cases open at end of day", c.open_at_end),
        ("  of which not acknowledged", c.unacknowledged_at_end),
        ("cases escalated", c.escalated),
        ("visitors expected / admitted", f"{v.expected} / {v.admitted}"),
        (
            "appointments requested / approved / refused",
            f"{v.requested} / {v.approved} / {v.refused}",
        ),
        ("temporary passes issued / entries", f"{v.passes_issued} / {v.pass_entries}"),
        ("household exits", report.household_exits),
        ("rejected messages", report.rejected_messages),
        ("policy versions", ", ".join(map(str, report.policy_versions)) or "-"),
        *([] if report.census is None else census_figures(report.census)),
    ]


def thermometer_rows(report: DailyReport) -> list[list[object]]:
    return [
        [
            t.sensor,
            t.fever_cases,
            t.remeasured,
            t.below_threshold,
            "-" if t.rate is None else f"{t.rate:.0%}",
        ]
        for t in report.thermometers
    ]


DENIAL_HEADER = ["reason", "label", "count"]


def denial_rows(report: DailyReport, *, cjk: bool = True) -> list[list[object]]:
    """Denials by reason, each with its words from the reason catalogue (Chinese where drawable)."""
    return [
        [
            reason,
            f"{reason_words('zh-CN', reason)} / {reason_words('en', reason)}"
            if cjk
            else reason_words("en", reason),
            n,
        ]
        for reason, n in report.denial_reasons.items()
    ]


def gate_rows(report: DailyReport) -> list[list[object]]:
    return [
        [g, *(counts[d] for d in DECISIONS), sum(counts.values())]
        for g, counts in report.gate_totals().items()
    ]


# --- the chart --------------------------------------------------------------------------------


def draw_hours(figure: Figure, report: DailyReport, rect: Rect | None = None) -> None:
    axes = figure.add_axes(rect or (0.08, 0.15, 0.9, 0.72))
    hours = list(range(24))
    bottom = [0] * 24
    for decision in DECISIONS:
        values = [report.by_hour[h].get(decision, 0) for h in hours]
        if any(values):
            axes.bar(
                hours, values, bottom=bottom, color=COLOURS[decision], label=decision, width=0.85
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlim(-0.6, 23.6)
    axes.set_xlabel(f"hour ({report.timezone})")
    axes.set_ylabel("passages")
    axes.set_title("Passages per hour by decision")
    if report.entries:
        axes.legend(loc="upper left", fontsize=8, ncols=4)
    else:
        axes.set_ylim(0, 1)
        axes.text(11.5, 0.5, "no passages: zero report", ha="center", va="center", fontsize=12)
    axes.grid(axis="y", alpha=0.3)


def chart_png(report: DailyReport, *, dpi: int = 110) -> bytes:
    figure = Figure(figsize=(8, 3.4), dpi=dpi)
    with _fonts():
        draw_hours(figure, report)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


class _fonts:  # noqa: N801 - used as a context manager
    """Temporarily the report fonts (matplotlib's rcParams are global)."""

    def __enter__(self) -> None:
        import matplotlib as mpl  # noqa: PLC0415

        self._saved = mpl.rcParams["font.family"]
        mpl.rcParams["font.family"] = font_family()

    def __exit__(self, *_exc: object) -> None:
        import matplotlib as mpl  # noqa: PLC0415

        mpl.rcParams["font.family"] = self._saved


# --- CSV -----------------------------------------------------------------------------------------


def write_csv(report: DailyReport, path: Path) -> None:
    """Sections one under another: a title row, a header row, rows, a blank line."""

    def section(
        writer: Any, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        writer.writerow([name])
        writer.writerow(list(header))
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        writer.writerow([])

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([title(report)])
        writer.writerow(
            [
                "generated",
                report.generated_at.isoformat(timespec="seconds"),
                "time zone",
                report.timezone,
                "chain head",
                report.chain_anchor,
            ]
        )
        writer.writerow([])
        section(writer, "summary", ["figure", "value"], key_figures(report))
        section(
            writer,
            "entries per gate, direction, kind and decision",
            ["gate", "direction", "kind", "decision", "count"],
            [[g.gate, g.direction, g.kind, g.decision, g.count] for g in report.by_gate],
        )
        section(
            writer,
            "entries per hour",
            ["hour", *DECISIONS],
            [[h, *(report.by_hour[h][d] for d in DECISIONS)] for h in range(24)],
        )
        section(writer, "denials by reason", DENIAL_HEADER, denial_rows(report))
        section(
            writer,
            "thermometers: false-fever rate",
            ["sensor", "fever cases", "re-measured", "below threshold", "rate"],
            thermometer_rows(report),
        )
        section(
            writer,
            "case outcomes (cases opened this day)",
            ["outcome", "count"],
            list(report.cases.outcomes.items()),
        )
        if report.census is not None:
            section(writer, "check-ins per unit", CHECKIN_HEADER, checkin_rows(report.census))
            section(writer, "new cases and incidents", ["what", "count"],
                    origin_rows(report.census))  # fmt: skip


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(report: DailyReport, path: Path, *, chart: bytes | None = None) -> None:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "summary"
    summary.append([title(report)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["generated", report.generated_at.isoformat(timespec="seconds")])
    summary.append(["time zone", report.timezone])
    summary.append(["chain head", report.chain_anchor])
    summary.append([])
    for name, value in key_figures(report):
        summary.append([name, safe_cell(value)])
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 16
    image = XlsxImage(io.BytesIO(chart or chart_png(report)))
    summary.add_image(image, "D2")

    def sheet(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        ws = workbook.create_sheet(name)
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])

    sheet("gates", ["gate", *DECISIONS, "total"], gate_rows(report))
    sheet(
        "by gate and kind",
        ["gate", "direction", "kind", "decision", "count"],
        [[g.gate, g.direction, g.kind, g.decision, g.count] for g in report.by_gate],
    )
    sheet(
        "hours",
        ["hour", *DECISIONS],
        [[h, *(report.by_hour[h][d] for d in DECISIONS)] for h in range(24)],
    )
    sheet("denials", DENIAL_HEADER, denial_rows(report))
    sheet(
        "thermometers",
        ["sensor", "fever cases", "re-measured", "below threshold", "rate"],
        thermometer_rows(report),
    )
    sheet("cases", ["outcome", "count"], list(report.cases.outcomes.items()))
    if report.census is not None:
        sheet("check-ins", CHECKIN_HEADER, checkin_rows(report.census))
        sheet("new cases", ["what", "count"], origin_rows(report.census))
    workbook.save(path)


# --- PDF -----------------------------------------------------------------------------------------

PAGE = (8.27, 11.69)  # A4, inches
ROW_H = 0.019  # one table row, as a fraction of the page height
TOP, BOTTOM, LEFT, WIDTH = 0.93, 0.05, 0.06, 0.88


class _Flow:
    """Blocks placed top to bottom on A4 pages, a new page when one does not fit."""

    def __init__(self, pdf: PdfPages, report: DailyReport) -> None:
        self.pdf = pdf
        self.report = report
        self.page: Figure | None = None
        self.y = TOP

    def _new_page(self) -> Figure:
        if self.page is not None:
            self.pdf.savefig(self.page)  # type: ignore[no-untyped-call]
        self.page = Figure(figsize=PAGE)
        self.page.text(
            LEFT, 0.955, title(self.report, cjk=has_cjk_font()), fontsize=15, fontweight="bold"
        )
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

    def table(
        self, heading: str, header: Sequence[str], rows: list[list[object]], width: float = WIDTH
    ) -> None:
        shown = rows or [["none", *[""] * (len(header) - 1)]]
        height = ROW_H * (len(shown) + 1)
        self.heading(heading)
        page = self.room(height)
        axes = page.add_axes((LEFT, self.y - height, width, height))
        axes.axis("off")
        table = axes.table(
            cellText=[[str(v) for v in r] for r in shown],
            colLabels=list(header),
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
        draw_hours(page, self.report, rect)
        self.y -= height

    def close(self) -> None:
        if self.page is not None:
            self.pdf.savefig(self.page)  # type: ignore[no-untyped-call]


def write_pdf(report: DailyReport, path: Path) -> None:
    metadata = {"Title": title(report), "Creator": "campusgate"}
    with _fonts(), PdfPages(path, metadata=metadata) as pdf:
        flow = _Flow(pdf, report)
        flow.text(
            f"generated {report.generated_at.isoformat(timespec='seconds')}; "
            f"times in {report.timezone}"
        )
        if report.zero:
            flow.text(
                "No new case this day: a zero report" + (" (零报告)." if has_cjk_font() else "."),
                size=10,
                colour="#2e7d32",
            )
        flow.table("Summary", ["figure", "value"], [[k, v] for k, v in key_figures(report)])
        flow.chart()
        flow.table("Passages per gate", ["gate", *DECISIONS, "total"], gate_rows(report))
        flow.table("Denials by reason", DENIAL_HEADER, denial_rows(report, cjk=has_cjk_font()))
        flow.table(
            "Isolation cases opened this day: outcomes",
            ["outcome", "count"],
            [list(i) for i in report.cases.outcomes.items()],
        )
        if report.census is not None:
            flow.table("Daily check-ins per unit", CHECKIN_HEADER, checkin_rows(report.census))
        flow.table(
            "Thermometers: fever cases the clinic re-measured below the threshold",
            ["sensor", "fever cases", "re-measured", "below threshold", "false-fever rate"],
            thermometer_rows(report),
        )
        flow.text("Entry-log hash chain head (check with campusgate audit verify --anchor):")
        flow.text(report.chain_anchor, size=7, colour="#000000")
        flow.close()


def write_report(report: DailyReport, path: Path, fmt: ReportFormat) -> None:
    if fmt == "csv":
        write_csv(report, path)
    elif fmt == "xlsx":
        write_xlsx(report, path)
    else:
        write_pdf(report, path)
