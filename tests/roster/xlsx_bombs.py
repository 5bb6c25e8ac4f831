"""Small XLSX files that cost a reader far more memory than their size (built at test time).

Each is a valid workbook with a roster header and one good row, written part by part
with :mod:`zipfile` so the worksheet XML is exactly what the attack needs:

- ``merged``: one merged range over a large block (``A5:Z100000``, ``A5:XFD1048576``);
- ``dimension``: a ``<dimension>`` claiming the whole sheet, with a row far below;
- ``padded``: hundreds of megabytes of whitespace inside the worksheet, compressed to
  a few hundred kilobytes;
- ``loose_elements``: millions of empty elements that a reader keeps until the sheet ends.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.roster.test_files import GOOD

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="roster" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER = ("学号", "姓名", "类别", "身份证号")
PERSON = ("2021001", "王小明", "学生", GOOD[0])
PAD_CHUNK = b" " * (1 << 20)


def _row(line: int, values: tuple[str, ...]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{line}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{line}">{cells}</row>'


def write_xlsx(
    path: Path,
    *,
    dimension: str = "A1:D2",
    merges: tuple[str, ...] = (),
    extra_rows: str = "",
    pad_mib: int = 0,
) -> Path:
    """A roster workbook; ``pad_mib`` MiB of spaces go between the rows."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>'.encode())
            sheet.write(_row(1, HEADER).encode())
            for _ in range(pad_mib):
                sheet.write(PAD_CHUNK)
            sheet.write((_row(2, PERSON) + extra_rows + "</sheetData>").encode())
            if merges:
                refs = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
                sheet.write(f'<mergeCells count="{len(merges)}">{refs}</mergeCells>'.encode())
            sheet.write(b"</worksheet>")
    return path


def merged(path: Path, ref: str) -> Path:
    return write_xlsx(path, merges=(ref,))


def whole_sheet_dimension(path: Path) -> Path:
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx(path, dimension="A1:XFD1048576", extra_rows=far)


def padded(path: Path, pad_mib: int = 300) -> Path:
    return write_xlsx(path, pad_mib=pad_mib)


def loose_elements(path: Path, mib: int = 16) -> Path:
    """Millions of empty elements openpyxl does not know: it keeps every one of them."""
    return write_xlsx(path, extra_rows="<x/>" * (mib * (1 << 18)))


def with_sheet(path: Path, sheet: bytes, extra_parts: dict[str, bytes] | None = None) -> Path:
    """A workbook whose worksheet is exactly ``sheet`` (and any more parts)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra_parts or {}).items():
            zf.writestr(name, data)
    return path


def sheet_xml(rows: str, head: str = SHEET_HEAD) -> bytes:
    """A worksheet with the roster header row, then ``rows`` (XML) inside sheetData."""
    return f"{head}<sheetData>{_row(1, HEADER)}{rows}</sheetData></worksheet>".encode()


def person_row(line: int) -> str:
    return _row(line, PERSON)
