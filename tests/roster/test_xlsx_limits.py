"""The bounds an XLSX roster is held to before and while it is read (issue 14, item 9).

The three bombs of the issue are sent to the real web service in
``tests/web/test_roster_bombs.py``; here each other bound is crossed once, on the reader
itself, and a file just inside the bounds still reads.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kernel.errors import RosterError
from services.roster import xlsx_limits
from services.roster.source import open_roster
from tests.fixtures import xlsx_bombs
from tests.fixtures.xlsx_bombs import person_row, sheet_xml, with_sheet


def rows_of(path: Path) -> list[tuple[int, dict[str, object]]]:
    return list(open_roster(path).rows)


def refused(path: Path, match: str) -> None:
    with pytest.raises(RosterError, match=match):
        rows_of(path)


def test_a_roster_inside_the_bounds_reads_with_its_merged_cells_filled(tmp_path: Path) -> None:
    rows = "".join(person_row(line) for line in range(2, 6))
    merged = '<mergeCells count="1"><mergeCell ref="C2:C5"/></mergeCells>'
    sheet = sheet_xml(rows).replace(b"</worksheet>", merged.encode() + b"</worksheet>")
    path = with_sheet(tmp_path / "ok.xlsx", sheet)
    assert [line for line, _ in rows_of(path)] == [2, 3, 4, 5]


def test_refusals_say_what_in_chinese_and_in_english(tmp_path: Path) -> None:
    with pytest.raises(xlsx_limits.RosterTooLarge) as caught:
        rows_of(xlsx_bombs.merged(tmp_path / "bomb.xlsx", "A5:Z100000"))
    assert str(caught.value).startswith("名单文件过大：合并区域 A5:Z100000")
    assert "/ roster file too large: merged range A5:Z100000" in str(caught.value)
    assert caught.value.text("en").startswith("merged range A5:Z100000")
    assert caught.value.text("zh-CN").startswith("合并区域 A5:Z100000")


def test_a_dtd_is_refused_before_any_entity_is_expanded(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    refused(with_sheet(tmp_path / "dtd.xlsx", sheet_xml(person_row(2), head=laughs)), "DTD")


def test_a_part_not_in_utf8_is_refused(tmp_path: Path) -> None:
    sheet = sheet_xml(person_row(2)).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    refused(with_sheet(tmp_path / "utf16.xlsx", sheet.encode("utf-16")), "UTF-8")


def test_rows_beyond_the_bound_are_refused_even_without_numbers(tmp_path: Path) -> None:
    rows = "<row/>" * xlsx_limits.MAX_ROWS + person_row(xlsx_limits.MAX_ROWS + 2)
    refused(with_sheet(tmp_path / "rows.xlsx", sheet_xml(rows)), "rows")


def test_a_row_wider_than_the_bound_is_refused_while_reading(tmp_path: Path) -> None:
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * (xlsx_limits.MAX_COLUMNS + 1)
    refused(with_sheet(tmp_path / "wide.xlsx", sheet_xml(f"<row>{cells}</row>")), "column 257")


def test_a_row_of_too_many_elements_is_refused(tmp_path: Path) -> None:
    row = f"<row>{'<x/>' * (xlsx_limits.MAX_ELEMENTS_PER_ROW + 1)}</row>"
    refused(with_sheet(tmp_path / "row.xlsx", sheet_xml(row)), "XML elements in one row")


def test_too_many_shared_strings_are_refused(tmp_path: Path) -> None:
    table = "<sst>" + "<si><t>x</t></si>" * (xlsx_limits.MAX_SHARED_STRINGS + 1) + "</sst>"
    parts = {"xl/sharedStrings.xml": table.encode()}
    refused(with_sheet(tmp_path / "sst.xlsx", sheet_xml(person_row(2)), parts), "shared strings")


def test_too_many_merged_ranges_are_refused(tmp_path: Path) -> None:
    count = xlsx_limits.MAX_MERGED_RANGES + 1
    refs = "".join(f'<mergeCell ref="F{r}:G{r}"/>' for r in range(2, count + 2))
    sheet = sheet_xml(person_row(2)).replace(
        b"</worksheet>", f"<mergeCells>{refs}</mergeCells></worksheet>".encode()
    )
    refused(with_sheet(tmp_path / "merges.xlsx", sheet), "merged ranges")


def test_an_oversized_part_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    path = with_sheet(
        tmp_path / "styles.xlsx",
        sheet_xml(person_row(2)),
        {"xl/styles.xml": b" " * (xlsx_limits.MAX_OTHER_PART_BYTES + 1)},
    )
    refused(path, "xl/styles.xml unpacks to")


def test_an_archive_of_too_many_parts_is_refused_before_its_directory_is_parsed(
    tmp_path: Path,
) -> None:
    extra = {f"xl/media/p{i}.bin": b"" for i in range(xlsx_limits.MAX_PARTS)}
    refused(with_sheet(tmp_path / "parts.xlsx", sheet_xml(person_row(2)), extra), "parts")


def test_a_zip64_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zip64.xlsx"
    with_sheet(path, sheet_xml(person_row(2)))
    data = path.read_bytes()
    end = data.rfind(xlsx_limits.END_RECORD)
    # A zip64 end locator just before the end record: zipfile would take its numbers.
    locator = xlsx_limits.ZIP64_LOCATOR + b"\0" * (xlsx_limits.ZIP64_LOCATOR_BYTES - 4)
    path.write_bytes(data[:end] + locator + data[end:])
    refused(path, "zip64")


def test_a_file_that_is_no_zip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RosterError, match="cannot read"):
        rows_of(path)
    assert not zipfile.is_zipfile(path)
