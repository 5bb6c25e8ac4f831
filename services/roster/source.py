"""Reading roster files: CSV (UTF-8 or GBK/GB18030) and XLSX (openpyxl, streaming).

A :class:`Sheet` maps the header row to fields and yields ``(line, cells)``
with ``line`` the row number a person sees in their editor or in Excel.  The
header may be preceded by a title row or two (common in exported sheets).
Merged cells in XLSX (a unit written once for a block of people) are filled
from their top-left cell, as the eye reads them.  An XLSX file is checked against
a roster's bounds (:mod:`services.roster.xlsx_limits`) before openpyxl opens it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from kernel.errors import RosterError
from services.roster.columns import REQUIRED, field_for_header
from services.roster.xlsx_limits import MergedRange, check_cell, inspect_xlsx

HEADER_SEARCH_ROWS = 10


@dataclass
class Sheet:
    """A roster table: which column holds which field, and its rows."""

    columns: dict[int, str]  # column index -> field
    headers: dict[str, str]  # field -> header text as written in the file
    rows: Iterator[tuple[int, dict[str, Any]]]
    total_rows: int | None = None  # rows after the header, when known (progress)
    unknown_headers: list[str] = field(default_factory=list)
    header_line: int = 1

    def column_of(self, field_name: str) -> str:
        return self.headers.get(field_name, field_name)


def _map_header(cells: list[Any]) -> tuple[dict[int, str], dict[str, str], list[str]] | None:
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        name = field_for_header(text)
        if name is None:
            unknown.append(text)
        elif name in headers:
            raise RosterError(f"two columns for {name}: {headers[name]!r} and {text!r}")
        else:
            columns[index] = name
            headers[name] = text
    if not all(f in headers for f in REQUIRED):
        return None
    if "validity" in headers and ({"valid_from", "valid_until"} & headers.keys()):
        raise RosterError(
            "give either 有效期起止 (validity) or separate from/until columns, not both"
        )
    return columns, headers, unknown


def _find_header(
    rows: Iterator[tuple[int, list[Any]]],
) -> tuple[int, dict[int, str], dict[str, str], list[str]]:
    seen: list[str] = []
    for line, cells in rows:
        mapped = _map_header(cells)
        if mapped is not None:
            return (line, *mapped)
        if any(c not in (None, "") for c in cells):
            seen.append(",".join("" if c is None else str(c) for c in cells)[:120])
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise RosterError("the roster file is empty")
    raise RosterError(
        "no header row with the required columns (person_id/学号/工号, name/姓名, kind/类别, "
        f"id_number/身份证号); first row read: {seen[0]!r}"
    )


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, what Excel in China writes)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterError(f"the CSV is neither UTF-8 nor GBK: {exc}") from exc


def csv_sheet(lines: Iterable[str], *, total_rows: int | None = None) -> Sheet:
    """A sheet over CSV text lines (line numbers count physical lines from 1)."""
    reader = csv.reader(line.lstrip("\ufeff") if i == 0 else line for i, line in enumerate(lines))

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        last = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last += 1
                yield last, [_Unreadable(str(exc))]
                continue
            # reader.line_num is the physical line where the record ended.
            yield reader.line_num, list(fields)
            last = reader.line_num

    rows = numbered()
    header_line, columns, headers, unknown = _find_header(rows)
    return Sheet(
        columns=columns,
        headers=headers,
        rows=_with_width_check(rows, columns),
        total_rows=total_rows,
        unknown_headers=unknown,
        header_line=header_line,
    )


class _Unreadable(str):
    """A CSV record the csv module could not read at all."""

    __slots__ = ()


def _with_width_check(
    rows: Iterator[tuple[int, list[Any]]], columns: dict[int, str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    width = max(columns) + 1
    for line, cells in rows:
        if cells and isinstance(cells[0], _Unreadable):
            yield line, {"__error__": f"unreadable row: {cells[0]}"}
            continue
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if len(cells) < width:
            yield line, {"__error__": f"expected {width} columns, got {len(cells)}"}
            continue
        yield line, {name: cells[i] for i, name in columns.items()}


def read_csv_file(path: Path) -> Sheet:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"cannot read {path}: {exc}") from exc
    text = decode_csv(raw)
    total = max(0, text.count("\n") - 1)
    return csv_sheet(io.StringIO(text, newline=""), total_rows=total)


def _fill_merged(
    rows: Iterable[tuple[int, tuple[Any, ...]]], merged: list[MergedRange]
) -> Iterator[tuple[int, list[Any]]]:
    """Rows of the sheet, bounded, with merged cells filled from their top-left cell.

    Ranges are kept as ranges (memory grows with their number, never with their area);
    a row only looks at the ranges that cover it.
    """
    waiting = sorted(merged, key=lambda r: r.top)
    next_waiting = 0
    active: list[MergedRange] = []
    top_left: dict[MergedRange, Any] = {}
    for line, values in rows:
        cells = list(values)
        # openpyxl numbers rows without an "r" itself, and pads them to the dimension.
        check_cell(len(cells) - 1, line, ("工作表", "the sheet"))
        while next_waiting < len(waiting) and waiting[next_waiting].top <= line:
            active.append(waiting[next_waiting])
            next_waiting += 1
        active = [r for r in active if r.bottom >= line]
        for block in active:
            if block.top == line:
                top_left[block] = cells[block.left] if block.left < len(cells) else None
            value = top_left.get(block)
            for col in range(block.left, min(block.right + 1, len(cells))):
                if cells[col] is None and (line, col) != (block.top, block.left):
                    cells[col] = value
        yield line, cells


def read_xlsx_file(path: Path, *, sheet: str | None = None) -> Sheet:
    merged_by_part = inspect_xlsx(path)  # before openpyxl reads any part of it
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterError(f"cannot read {path} as XLSX: {exc}") from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        names = ", ".join(workbook.sheetnames)
        raise RosterError(f"no sheet {sheet!r} in {path} (sheets: {names})")
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    worksheet_path = str(getattr(worksheet, "_worksheet_path", "") or "")
    merged = merged_by_part.get(worksheet_path.lstrip("/"), [])
    max_row = worksheet.max_row

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from _fill_merged(
                enumerate(worksheet.iter_rows(values_only=True), start=1), merged
            )
        finally:
            workbook.close()

    rows = numbered()
    header_line, columns, headers, unknown = _find_header(rows)
    return Sheet(
        columns=columns,
        headers=headers,
        rows=_with_width_check(_pad(rows, max(columns) + 1), columns),
        total_rows=(max_row - header_line) if max_row else None,
        unknown_headers=unknown,
        header_line=header_line,
    )


def _pad(rows: Iterator[tuple[int, list[Any]]], width: int) -> Iterator[tuple[int, list[Any]]]:
    # XLSX rows can stop at their last non-empty cell: empty means empty, not short.
    for line, cells in rows:
        yield line, cells + [None] * (width - len(cells)) if len(cells) < width else cells


def open_roster(path: Path, *, sheet: str | None = None) -> Sheet:
    """A roster file by its extension: .xlsx/.xlsm, else CSV."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx_file(path, sheet=sheet)
    if path.suffix.lower() == ".xls":
        raise RosterError("old .xls files are not read: save the sheet as .xlsx or CSV")
    return read_csv_file(path)


ProgressCallback = Callable[[int, int | None], None]
