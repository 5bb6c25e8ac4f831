"""Bounds an XLSX roster must keep before openpyxl reads it (memory and CPU bombs).

A 5 KB workbook can claim one merged range over ``A5:XFD1048576`` (17 billion cells),
a ``<dimension>`` that makes a read-only sheet pad every row to 16,384 columns, or a
worksheet padded with hundreds of megabytes of whitespace that deflate to a few hundred
kilobytes.  Before the sheet is read:

1. the zip's central directory is bounded, then the parts it declares: how many, and
   the uncompressed size of each and of all (Python's zipfile never inflates a part
   beyond its declared size: a part that lies ends in a CRC error, not in more data);
2. every part is streamed once through expat, the parser under openpyxl's
   ElementTree, keeping only counters: the sheet's dimension and merged ranges must
   stay inside a roster's bounds, the elements openpyxl would hold at once are
   counted, no stretch of text or tag without a ``<`` may be longer than a cell can
   hold, and no DTD (entity expansion) is accepted.

The rows themselves are bounded again as they are read (``check_cell``), since
openpyxl numbers rows and columns that carry no reference by itself.
Every refusal is a :class:`RosterTooLarge` that says what was too large, in Chinese and
in English.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from kernel.errors import RosterError

MiB = 1024 * 1024
MAX_PARTS = 1000
MAX_DIRECTORY_BYTES = 1 * MiB  # a directory entry is 46 bytes plus its name
# A 100,000-row roster of ten text columns is a 61 MB worksheet (inline strings).
MAX_WORKSHEET_BYTES = 256 * MiB
# Shared strings are loaded whole by openpyxl: keep them to what a roster needs.
MAX_SHARED_STRINGS_BYTES = 32 * MiB
MAX_OTHER_PART_BYTES = 8 * MiB
MAX_TOTAL_BYTES = 512 * MiB
MAX_ROWS = 200_000
MAX_COLUMNS = 256  # IV, the old Excel width: a roster has a dozen
MAX_MERGED_RANGES = 10_000
MAX_MERGED_CELLS = 1_000_000  # summed over every range
# openpyxl keeps what it does not know until the parent ends: a few per row, a few
# thousand in the rest of a workbook (styles, views, validations, the merged ranges),
# each of which becomes an object of about 700 bytes (190,000 styles: +142 MiB, 15 s).
MAX_ELEMENTS_PER_ROW = 20_000  # 256 cells of rich text
MAX_LOOSE_ELEMENTS = 50_000
# Loaded whole by openpyxl as a list: a 200,000-row roster has four unique columns.
MAX_SHARED_STRINGS = 1_000_000
# Excel holds at most 32,767 characters in a cell (<= 128 KiB as UTF-8 XML with entities).
MAX_RUN_BYTES = 1 * MiB
SCAN_CHUNK_BYTES = MAX_RUN_BYTES  # never more: see _PartScan._check_run
END_RECORD = b"PK\x05\x06"
END_RECORD_BYTES = 22
END_SEARCH_BYTES = END_RECORD_BYTES + 65_535  # the record and the longest comment
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_LOCATOR_BYTES = 20

REF_RE = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Z]{1,3})\$?([0-9]{1,7}))?")


class RosterTooLarge(RosterError):
    """The file is beyond what a roster needs; the text is in Chinese, then English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"名单文件过大：{zh} / roster file too large: {en}")

    def text(self, lang: str) -> str:
        """What was too large, in ``lang`` (zh-CN or English)."""
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class MergedRange:
    """A merged block, 1-based rows and 0-based columns, as the reader counts them."""

    top: int
    left: int
    bottom: int
    right: int


def column_index(letters: str) -> int:
    """0-based column of ``A`` .. ``XFD``."""
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def _part_limit(name: str) -> int:
    lowered = name.lower()
    if lowered.endswith("sharedstrings.xml"):
        return MAX_SHARED_STRINGS_BYTES
    if lowered.endswith(".xml") and "worksheets/" in lowered:
        return MAX_WORKSHEET_BYTES
    return MAX_OTHER_PART_BYTES


def _check_central_directory(path: Path) -> None:
    """Bound the central directory before zipfile parses it into one object per entry.

    zipfile reads the end record (the last one in the final 64 KiB) and then the whole
    directory it points to; a zip64 locator just before that record overrides both.
    Neither is needed by a roster: a zip64 archive is refused, a directory is bounded.
    """
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            tail_size = min(size, END_SEARCH_BYTES)
            file.seek(size - tail_size)
            tail = file.read(tail_size)
    except OSError as exc:
        raise RosterError(f"cannot read {path.name}: {exc}") from exc
    at = tail.rfind(END_RECORD, 0, max(0, len(tail) - END_RECORD_BYTES + len(END_RECORD)))
    if at < 0:
        raise RosterError(f"cannot read {path.name} as XLSX: not a zip archive")
    entries, directory_bytes, _offset = struct.unpack_from("<HII", tail, at + 10)
    zip64 = at >= ZIP64_LOCATOR_BYTES and tail[at - ZIP64_LOCATOR_BYTES :].startswith(ZIP64_LOCATOR)
    if zip64 or entries > MAX_PARTS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise RosterTooLarge(
            f"压缩包目录过大（{entries} 个文件，{directory_bytes // 1024} KiB；"
            f"上限 {MAX_PARTS} 个、{MAX_DIRECTORY_BYTES // 1024} KiB，且不接受 zip64）",
            f"the archive's directory is too large ({entries} parts, "
            f"{directory_bytes // 1024} KiB; at most {MAX_PARTS} parts, "
            f"{MAX_DIRECTORY_BYTES // 1024} KiB, and no zip64)",
        )


def check_archive(path: Path) -> None:
    """The central directory's declared sizes, before anything is inflated."""
    _check_central_directory(path)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise RosterError(f"cannot read {path.name} as XLSX: {exc}") from exc
    if len(parts) > MAX_PARTS:
        raise RosterTooLarge(
            f"压缩包内有 {len(parts)} 个文件（上限 {MAX_PARTS}）",
            f"{len(parts)} parts in the archive (at most {MAX_PARTS})",
        )
    total = 0
    for part in parts:
        limit = _part_limit(part.filename)
        if part.file_size > limit:
            raise RosterTooLarge(
                f"{part.filename} 解压后 {part.file_size // MiB} MiB（上限 {limit // MiB} MiB）",
                f"{part.filename} unpacks to {part.file_size // MiB} MiB (at most {limit // MiB})",
            )
        total += part.file_size
    if total > MAX_TOTAL_BYTES:
        raise RosterTooLarge(
            f"解压后共 {total // MiB} MiB（上限 {MAX_TOTAL_BYTES // MiB} MiB）",
            f"unpacks to {total // MiB} MiB in all (at most {MAX_TOTAL_BYTES // MiB})",
        )


def check_cell(column: int, row: int, where: tuple[str, str]) -> None:
    """Refuse a cell (0-based column, 1-based row) beyond a roster's bounds."""
    if not 1 <= row <= MAX_ROWS:
        raise RosterTooLarge(
            f"{where[0]}到第 {row} 行（上限 {MAX_ROWS} 行）",
            f"{where[1]} reaches row {row} (at most {MAX_ROWS} rows)",
        )
    if not 0 <= column < MAX_COLUMNS:
        raise RosterTooLarge(
            f"{where[0]}到第 {column + 1} 列（上限 {MAX_COLUMNS} 列）",
            f"{where[1]} reaches column {column + 1} (at most {MAX_COLUMNS} columns)",
        )


@dataclass
class _Budget:
    """What the whole file has used of the bounds that span its parts."""

    loose: int = 0
    merged_ranges: int = 0
    merged_cells: int = 0
    shared_strings: int = 0


class _PartScan:
    """One streaming pass over one part with expat (the parser openpyxl's ElementTree
    uses), keeping nothing but counters: memory is one chunk whatever the part holds.

    openpyxl clears a row (a worksheet's ``row``, a shared string's ``si``) when it ends,
    but keeps every other element it does not know until its parent ends: so a row's
    elements are bounded per row, everything else per file.
    """

    def __init__(self, name: str, budget: _Budget) -> None:
        self.name, self.budget = name, budget
        self.merged: list[MergedRange] = []
        self.rows = 0
        self.depth = 0
        self.block_depth = 0  # depth of the row (or si) being read; 0 outside one
        self.block_elements = 0
        self.run = 0  # bytes since the last "<"
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.XmlDeclHandler = self._declaration

    def feed(self, chunk: bytes, *, first: bool, last: bool) -> bool:
        """Check then parse a chunk; False once the part is no XML (openpyxl stops there too)."""
        if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
            raise RosterError(
                f"{self.name} 不是 UTF-8 编码 / {self.name} is not UTF-8 (Excel writes UTF-8)"
            )
        self._check_run(chunk)
        try:
            self.parser.Parse(chunk, last)
        except expat.ExpatError:
            return False
        return True

    def _check_run(self, chunk: bytes) -> None:
        # In UTF-8 the byte "<" is only ever "<"; a text or a tag without one is bounded,
        # so neither expat nor ElementTree ever holds a long string.  A stretch inside
        # one chunk is shorter than the chunk (<= MAX_RUN_BYTES): only the ends matter.
        first = chunk.find(b"<")
        size = self.run + (len(chunk) if first < 0 else first)
        self.run = size if first < 0 else len(chunk) - 1 - chunk.rfind(b"<")
        if max(size, self.run) > MAX_RUN_BYTES:
            raise RosterTooLarge(
                f"{self.name} 中有一段 {max(size, self.run) // 1024} KiB 的连续文本或空白"
                f"（上限 {MAX_RUN_BYTES // 1024} KiB）",
                f"{self.name} holds a {max(size, self.run) // 1024} KiB stretch of text or "
                f"padding (at most {MAX_RUN_BYTES // 1024} KiB)",
            )

    def _doctype(self, *_args: object) -> None:
        raise RosterError(f"{self.name} 含 DTD 声明 / {self.name} holds a DTD (entity bombs)")

    def _declaration(self, _version: str | None, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.replace("_", "-").upper() != "UTF-8":
            raise RosterError(f"{self.name} 不是 UTF-8 编码 / {self.name} is not UTF-8")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.block_depth:
            self.block_elements += 1
            if self.block_elements > MAX_ELEMENTS_PER_ROW:
                self._too_many("一行中的 XML 元素", "XML elements in one row", MAX_ELEMENTS_PER_ROW)
            return
        local = name.rpartition("}")[2]
        if local in ("row", "si"):
            self.block_depth, self.block_elements = self.depth, 0
            if local == "row":
                self.rows += 1
                if self.rows > MAX_ROWS:
                    self._too_many("行", "rows", MAX_ROWS)
            else:
                self.budget.shared_strings += 1
                if self.budget.shared_strings > MAX_SHARED_STRINGS:
                    self._too_many("共享字符串", "shared strings", MAX_SHARED_STRINGS)
            return
        self.budget.loose += 1
        if self.budget.loose > MAX_LOOSE_ELEMENTS:
            self._too_many("表格行以外的 XML 元素", "XML elements outside rows", MAX_LOOSE_ELEMENTS)
        if local == "dimension":
            _top, _left, bottom, right = _cells(attrs.get("ref", ""), ("工作表范围", "dimension"))
            check_cell(right, bottom, ("工作表范围", "the sheet's dimension"))
        elif local == "mergeCell":
            self._merge(attrs.get("ref", ""))

    def _end(self, _name: str) -> None:
        if self.depth == self.block_depth:
            self.block_depth = 0
        self.depth -= 1

    def _too_many(self, zh: str, en: str, limit: int) -> None:
        raise RosterTooLarge(
            f"{self.name} 中{zh}超过 {limit} 个", f"{self.name} holds more than {limit} {en}"
        )

    def _merge(self, ref: str) -> None:
        where = (f"合并区域 {ref} ", f"merged range {ref}")
        top, left, bottom, right = _cells(ref, where)
        check_cell(left, top, where)
        check_cell(right, bottom, where)
        budget = self.budget
        budget.merged_cells += (bottom - top + 1) * (right - left + 1)
        if budget.merged_cells > MAX_MERGED_CELLS:
            raise RosterTooLarge(
                f"{where[0]}使合并单元格共 {budget.merged_cells} 个（上限 {MAX_MERGED_CELLS}）",
                f"{where[1]} brings the merged cells to {budget.merged_cells} "
                f"(at most {MAX_MERGED_CELLS})",
            )
        budget.merged_ranges += 1
        if budget.merged_ranges > MAX_MERGED_RANGES:
            self._too_many("合并区域", "merged ranges", MAX_MERGED_RANGES)
        self.merged.append(MergedRange(top, left, bottom, right))


def _cells(ref: str, where: tuple[str, str]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of ``A1`` or ``A1:B2``; rows 1-based, columns 0-based."""
    match = REF_RE.fullmatch(ref.upper())
    if match is None:
        raise RosterError(
            f"{where[0]}引用无法读取：{ref[:40]!r} / unreadable {where[1]} {ref[:40]!r}"
        )
    col1, row1, col2, row2 = match.groups()
    rows = sorted((int(row1), int(row2 or row1)))
    cols = sorted((column_index(col1), column_index(col2 or col1)))
    return rows[0], cols[0], rows[1], cols[1]


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, budget: _Budget) -> _PartScan:
    scan = _PartScan(part.filename, budget)
    with archive.open(part) as stream:
        chunk, first = stream.read(SCAN_CHUNK_BYTES), True
        while chunk:
            following = stream.read(SCAN_CHUNK_BYTES)
            if not scan.feed(chunk, first=first, last=not following):
                break
            chunk, first = following, False
    return scan


def inspect_xlsx(path: Path) -> dict[str, list[MergedRange]]:
    """Check the archive and stream every part once, before openpyxl opens any of them.

    openpyxl's read-only loader already parses each worksheet up to its dimension (all
    of ``sheetData`` when there is none), and parses the shared strings and styles
    whole, so every part is checked, not only the sheet that will be read.  Returns the
    merged ranges of each part that has some.
    """
    check_archive(path)
    merged: dict[str, list[MergedRange]] = {}
    budget = _Budget()
    try:
        with zipfile.ZipFile(path) as archive:
            for part in archive.infolist():
                if not part.is_dir():
                    scan = _scan_part(archive, part, budget)
                    if scan.merged:
                        merged[part.filename] = scan.merged
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise RosterError(f"cannot read {path.name} as XLSX: {exc}") from exc
    return merged
