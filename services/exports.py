"""Writing tables to CSV or XLSX for people to open in Excel or WPS.

CSV is UTF-8 with a BOM (Excel in China otherwise guesses GBK).  Text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is
prefixed with an apostrophe: an exported name must never become a formula.
A time is written as people read it: the site's wall clock with its offset
(``kernel.localtime.local_iso``, e.g. ``2026-12-03T08:00:00+08:00``), never UTC.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from kernel.errors import ConfigError
from kernel.localtime import local_iso

TableFormat = Literal["csv", "xlsx"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object, tz: ZoneInfo | None = None) -> object:
    """A cell as a spreadsheet should hold it (``tz``: the site's zone, by default its own)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return local_iso(value, tz)
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_table(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    fmt: TableFormat,
    sheet: str = "data",
    tz: ZoneInfo | None = None,
) -> int:
    """Write one table; returns the number of rows written (times on ``tz``'s clock)."""
    count = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(["" if v is None else safe_cell(v, tz) for v in row])
                count += 1
        return count
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet[:31])
        worksheet.append(list(headers))
        for row in rows:
            worksheet.append([safe_cell(v, tz) for v in row])
            count += 1
        workbook.save(path)
        return count
    raise ConfigError(f"unknown table format {fmt!r} (csv or xlsx)")


def format_from_path(path: Path, default: TableFormat = "csv") -> TableFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "xlsx":
        return "xlsx"
    if suffix == "csv":
        return "csv"
    return default
