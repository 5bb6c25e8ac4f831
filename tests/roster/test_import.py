"""Roster import: bad rows reported by line, good rows upserted, ID numbers never stored raw."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from kernel.errors import RosterError
from services.cli.main import main
from services.identity import DEMO_KEY, IdHasher, validate_cn_id
from services.roster import import_roster
from services.storage import repository as repo
from services.storage.engine import make_engine

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

HEADER = "person_id,name,kind,id_number,unit,household,valid_from,valid_until,gates"
GOOD_ID = "11010519491231002X"  # a well-formed sample number with a correct check digit
GOOD = f"S1,Alice,student,{GOOD_ID},CS,,2026-09-01,2027-07-01,north-1;south-2"
BAD_ROWS = {
    "bad check digit": "S2,Bob,staff,110105194912310021,CS,,,,*",
    "bad birth date": "S3,Carl,staff,110105194913310027,CS,,,,*",
    "unknown kind": f"S4,Dora,alien,{GOOD_ID},CS,,,,*",
    "bad gate name": f"S5,Eve,staff,{GOOD_ID},CS,,,,North Gate",
    "bad date": f"S6,Fay,staff,{GOOD_ID},CS,,2026-13-01,,*",
    "until before from": f"S7,Gus,staff,{GOOD_ID},CS,,2027-01-01,2026-01-01,*",
    "duplicate person": f"S1,Alice Again,student,{GOOD_ID},CS,,,,*",
    "short row": "S8,Hal,staff",
    "empty name": f"S9,,staff,{GOOD_ID},CS,,,,*",
}


def test_id_checksum() -> None:
    assert validate_cn_id(GOOD_ID) is None
    assert validate_cn_id("110105194912310021") == "ID number check digit is wrong"


def _import(url: str, lines: list[str], strict: bool = False) -> object:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return import_roster(lines, session=session, hasher=IdHasher(DEMO_KEY), strict=strict)
    finally:
        engine.dispose()


def test_bad_rows_are_reported_by_line_while_good_rows_import(db_url: str) -> None:
    lines = ["\ufeff" + HEADER, GOOD, *BAD_ROWS.values(), f"T1,Ivy,staff,{GOOD_ID},Math,,,,*"]
    report = _import(db_url, lines)
    assert report.inserted == 2  # type: ignore[attr-defined]
    errors = {e.line: e.reason for e in report.errors}  # type: ignore[attr-defined]
    assert sorted(errors) == list(range(3, 3 + len(BAD_ROWS)))
    assert "check digit" in errors[3]
    assert "duplicate" in errors[9]
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            alice = repo.persons_by_id(session=session, person_ids=["S1"])["S1"]
    finally:
        engine.dispose()
    assert alice.gates == frozenset({"north-1", "south-2"})
    assert alice.masked_id == "*" * 14 + GOOD_ID[-4:]


def test_strict_imports_nothing_and_upsert_updates(db_url: str) -> None:
    report = _import(db_url, [HEADER, GOOD, BAD_ROWS["unknown kind"]], strict=True)
    assert report.inserted == 0  # type: ignore[attr-defined]
    assert _import(db_url, [HEADER, GOOD]).inserted == 1  # type: ignore[attr-defined]
    renamed = GOOD.replace("Alice", "Alicia")
    assert _import(db_url, [HEADER, renamed]).updated == 1  # type: ignore[attr-defined]


def test_wrong_header_is_refused(sqlite_url: str) -> None:
    with pytest.raises(RosterError):
        _import(sqlite_url, ["id,name", GOOD])
    with pytest.raises(RosterError):
        _import(sqlite_url, [])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=80), max_size=8))
def test_arbitrary_bodies_never_crash(sqlite_url: str, body: list[str]) -> None:
    report = _import(sqlite_url, [HEADER, *body])
    assert report.inserted + report.updated <= len(body)  # type: ignore[attr-defined]


def test_cli_import_and_raw_number_never_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    csv = tmp_path / "roster.csv"
    csv.write_text("\n".join([HEADER, GOOD, BAD_ROWS["bad check digit"]]) + "\n", encoding="utf-8")
    assert main(["roster", "import", str(csv), "--db", url, "--demo-key"]) == 1
    out = capsys.readouterr().out
    assert "line 3, id_number: ID number check digit is wrong" in out
    assert "1 new" in out
    for path in tmp_path.glob("r.db*"):
        assert GOOD_ID.encode() not in path.read_bytes()
    assert main(["roster", "import", str(tmp_path / "missing.csv"), "--db", url, "--demo-key"]) == 2
