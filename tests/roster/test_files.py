"""Roster files as schools have them: Chinese headers, GBK CSV, XLSX with merged cells.

Every kind of bad row is reported with its line, its column (as the file
names it) and the reason; good rows import; dry runs write nothing; the
upsert is idempotent; --sync deactivates who the file no longer names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.errors import RosterError
from services.cli.main import main
from services.identity import DEMO_KEY, IdHasher, validate_cn_id
from services.roster import export_roster, import_file, list_roster, set_return_approval
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from tests.fixtures.roster import GOOD, chinese_csv_rows, ids, wrong_check_digit

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
HASHER = IdHasher(DEMO_KEY)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def run_import(engine: Engine, path: Path, **options: object) -> object:
    with Session(engine) as session, session.begin():
        return import_file(path, session=session, hasher=HASHER, tz=TZ, now=NOW, **options)  # type: ignore[arg-type]


def persons(engine: Engine) -> dict[str, PersonRow]:
    with Session(engine) as session:
        return {p.person_id: p for p in session.scalars(select(PersonRow))}


def test_wrong_check_digit_is_caught() -> None:
    bad = wrong_check_digit(GOOD[0])
    assert validate_cn_id(GOOD[0]) is None
    assert validate_cn_id(bad) == "ID number check digit is wrong"


def test_gbk_csv_with_chinese_headers(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes("\r\n".join(chinese_csv_rows()).encode("gbk"))
    report = run_import(engine, path)
    assert (report.inserted, report.updated) == (4, 0)  # type: ignore[attr-defined]
    errors = {(e.line, e.column): e.reason for e in report.errors}  # type: ignore[attr-defined]
    assert errors[6, "身份证号"] == "ID number check digit is wrong"
    assert errors[7, "类别"].startswith("unknown kind '神仙'")
    assert errors[8, "学号/工号"] == "duplicate person '2021001' (first on line 2)"
    assert errors[9, "有效期起止"] == "impossible date '2026-02-30'"
    assert "before" in errors[10, "有效期起止"]
    assert "bad gate name 'North'" in errors[11, "可通行校门"]
    assert "not yes/no" in errors[12, "返校审批"]
    # One row, several problems: each reported with its own column.
    assert errors[13, "姓名"] == "name is empty"
    assert "17 digits" in errors[13, "身份证号"]
    stored = persons(engine)
    assert set(stored) == {"2021001", "2021002", "T0001", "F0001"}
    wang = stored["2021001"]
    assert (wang.name, wang.kind, wang.unit, wang.gates) == (
        "王小明", "student", "计算机学院", "north-1;south-2",
    )  # fmt: skip
    # Dates are the campus's local days: valid from local midnight to the end of the last day.
    assert wang.valid_from == datetime(2026, 9, 1, tzinfo=TZ)
    assert wang.valid_until is not None
    assert wang.valid_until.astimezone(TZ).date() == date(2027, 7, 1)
    assert stored["2021002"].return_approved is False
    assert stored["2021002"].gates == "*"
    assert stored["F0001"].household == "H-12"
    assert stored["F0001"].valid_until is None
    assert GOOD[0] not in str(vars(wang))  # never the raw number


def make_xlsx(path: Path, rows: list[list[object]], merges: list[str]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "白名单"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    workbook.save(path)


def test_xlsx_with_title_row_merged_cells_and_excel_types(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    rows: list[list[object]] = [
        ["2026年秋季学期 白名单"],  # a title row merged across the header
        ["学号", "姓名", "类别", "身份证号（必填）", "学院", "有效期起", "有效期止", "可通行校门"],
        [
            2021001,
            "王小明",
            "学生",
            GOOD[0],
            "计算机学院",
            datetime(2026, 9, 1),
            date(2027, 7, 1),
            "*",
        ],
        [2021002, "李华", "学生", GOOD[1], None, "2026.09.01", "2027.07.01", "north-1"],
        [2021003, "钱多多", "学生", GOOD[2], None, None, None, "*"],
        [2021004, "孙七", "学生", 110105194912310020, "数学学院", None, None, "*"],
        [2021005, "周八", "学生", wrong_check_digit(GOOD[3]), "数学学院", None, None, "*"],
        [2021006, "吴九", "学生", GOOD[4], "数学学院", "2026-13-01", None, "*"],
    ]
    make_xlsx(path, rows, ["A1:H1", "E3:E5"])  # 计算机学院 written once for three people
    report = run_import(engine, path)
    errors = {(e.line, e.column): e.reason for e in report.errors}  # type: ignore[attr-defined]
    assert set(errors) == {(6, "身份证号（必填）"), (7, "身份证号（必填）"), (8, "有效期起")}
    assert "stored as a number" in errors[6, "身份证号（必填）"]
    assert errors[7, "身份证号（必填）"] == "ID number check digit is wrong"
    assert errors[8, "有效期起"] == "impossible date '2026-13-01'"
    stored = persons(engine)
    assert set(stored) == {"2021001", "2021002", "2021003"}
    assert {stored[p].unit for p in stored} == {"计算机学院"}  # the merged cell filled down
    assert stored["2021001"].valid_from == datetime(2026, 9, 1, tzinfo=TZ)
    assert stored["2021002"].valid_from == datetime(2026, 9, 1, tzinfo=TZ)


def test_dry_run_strict_idempotence_and_sync(engine: Engine, tmp_path: Path) -> None:
    header = "person_id,name,kind,id_number,unit,household,valid_from,valid_until,gates"
    people = [f"S{i},Person {i},student,{GOOD[i]},CS,,,,*" for i in range(4)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, *people]), encoding="utf-8")
    dry = run_import(engine, path, dry_run=True)
    assert (dry.inserted, dry.written) == (4, False)  # type: ignore[attr-defined]
    assert persons(engine) == {}
    first = run_import(engine, path)
    assert first.inserted == 4  # type: ignore[attr-defined]
    stamp = persons(engine)["S0"].updated_at
    again = run_import(engine, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)  # type: ignore[attr-defined]
    assert persons(engine)["S0"].updated_at == stamp
    # The next term's file drops S3 and renames S0; --sync deactivates S3.
    path.write_text("\n".join([header, people[0].replace("Person 0", "Renamed"), *people[1:3]]),
                    encoding="utf-8")  # fmt: skip
    # One of four is over the 10 % a --sync may deactivate unforced (tests/roster/test_photos.py).
    synced = run_import(engine, path, sync=True, force=True)
    assert (synced.updated, synced.unchanged, synced.deactivated) == (1, 2, 1)  # type: ignore[attr-defined]
    stored = persons(engine)
    assert stored["S0"].name == "Renamed"
    assert not stored["S3"].active
    # A file with a bad row never deactivates anyone: who is missing is not certain.
    path.write_text("\n".join([header, people[0], "S9,Bad,alien,x,CS,,,,*"]), encoding="utf-8")
    unsure = run_import(engine, path, sync=True)
    assert unsure.deactivated == 0  # type: ignore[attr-defined]
    assert any("--sync deactivated nobody" in w for w in unsure.warnings)  # type: ignore[attr-defined]
    # S3 coming back is reactivated by an ordinary import.
    path.write_text("\n".join([header, people[3]]), encoding="utf-8")
    assert run_import(engine, path).updated == 1  # type: ignore[attr-defined]
    assert persons(engine)["S3"].active
    # Strict: one bad row and nothing changes.
    path.write_text("\n".join([header, f"S7,New,student,{GOOD[5]},CS,,,,*", "S8,x,alien,y,,,,,*"]),
                    encoding="utf-8")  # fmt: skip
    strict = run_import(engine, path, strict=True)
    assert strict.inserted == 0  # type: ignore[attr-defined]
    assert "S7" not in persons(engine)
    with Session(engine) as session:
        actions = list(session.scalars(select(AuditLogRow.action)))
    assert actions.count("roster.import") == 5  # every import that wrote, none that did not


def test_sync_by_kind_leaves_other_kinds(engine: Engine, tmp_path: Path) -> None:
    header = "person_id,name,kind,id_number,unit,household,valid_from,valid_until,gates"
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, f"S1,A,student,{GOOD[0]},CS,,,,*",
                               f"T1,B,staff,{GOOD[1]},CS,,,,*"]), encoding="utf-8")  # fmt: skip
    run_import(engine, path)
    path.write_text("\n".join([header, f"S2,C,student,{GOOD[2]},CS,,,,*"]), encoding="utf-8")
    report = run_import(engine, path, sync=True, sync_kinds=["student"], force=True)
    assert report.deactivated == 1  # type: ignore[attr-defined]
    stored = persons(engine)
    assert (stored["S1"].active, stored["T1"].active, stored["S2"].active) == (False, True, True)


def test_files_that_cannot_be_read(engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(RosterError, match="empty"):
        run_import(engine, empty)
    no_header = tmp_path / "noheader.csv"
    no_header.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(RosterError, match="no header row"):
        run_import(engine, no_header)
    not_xlsx = tmp_path / "fake.xlsx"
    not_xlsx.write_bytes(b"not a zip")
    with pytest.raises(RosterError, match="XLSX"):
        run_import(engine, not_xlsx)
    both = tmp_path / "both.csv"
    both.write_text("学号,姓名,类别,身份证号,有效期起止,有效期起\n", encoding="utf-8")
    with pytest.raises(RosterError, match="not both"):
        run_import(engine, both)


def test_export_masks_by_role_and_return_approval(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("\n".join(chinese_csv_rows()[:4]).encode("utf-8"))
    run_import(engine, path)
    with Session(engine) as session, session.begin():
        entry = set_return_approval(session=session, person_id="2021002", approved=True,
                                    by="dean-li", now=NOW)  # fmt: skip
        assert (entry.return_approved, entry.return_approved_by) == (True, "dean-li")
    out = tmp_path / "out.xlsx"
    with Session(engine) as session:
        assert export_roster(out, session=session, fmt="xlsx", lang="zh") == 3
        report_view = {e.person_id: e for e in list_roster(session=session, role="report")}
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("学号/工号", "姓名", "类别", "身份证号(后四位)")
    wang = next(r for r in rows if r[1] == "王小明")
    assert wang[3] == "*" * 14 + GOOD[0][-4:]
    assert wang[2] == "学生"
    assert all(GOOD[0] not in str(cell) for row in rows for cell in row)
    masked = next(e for e in report_view.values() if e.name.startswith("王"))
    assert masked.name == "王**"
    assert masked.person_id == "20***01"


def test_cli_import_xlsx_with_progress_dry_run_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    path = tmp_path / "big.xlsx"
    header = ["学号/工号", "姓名", "类别", "身份证号", "学院/单位"]
    numbers = ids(2500, seed=3)
    make_xlsx(path, [header, *[[f"S{i:05d}", f"学生{i}", "学生", n, "CS"]
                               for i, n in enumerate(numbers)]], [])  # fmt: skip
    base = ["roster", "import", str(path), "--db", url, "--demo-key"]
    assert main([*base, "--dry-run", "--progress"]) == 0
    captured = capsys.readouterr()
    assert "2,500/2,500" in captured.err
    assert "would import: 2500 new" in captured.out
    assert main(base) == 0
    assert "imported: 2500 new" in capsys.readouterr().out
    assert main(base) == 0
    assert "0 new, 0 updated, 2500 unchanged" in capsys.readouterr().out
    assert main(["roster", "return", "S00001", "--revoke", "--db", url, "--by", "dean"]) == 0
    assert "return not approved by dean" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["roster", "export", "--db", url, "--out", str(out), "--role", "report"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "学生1" not in text  # names masked for circulation
    assert "学*" in text
    assert main(["roster", "show", "S00001", "--db", url]) == 0
    assert "return_approved: no" in capsys.readouterr().out
    assert main(["roster", "show", "nobody", "--db", url]) == 2
