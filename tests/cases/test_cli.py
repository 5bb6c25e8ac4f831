"""``campusgate case``: the lifecycle from the console, refusals as errors (exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from services.cli.main import main
from services.storage.engine import make_engine, upgrade
from services.storage.models import PersonRow

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session, session.begin():
        for person_id in ("S1", "S2", "S3"):
            session.add(PersonRow(person_id=person_id, name=f"Name {person_id}", kind="student",
                                  id_hash=f"h-{person_id}", id_last4="1234",
                                  updated_at=NOW))  # fmt: skip
    engine.dispose()
    return sqlite_url


def case(db: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["case", *args, "--db", db, "--by", "dr-wang"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_lifecycle_from_the_console(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = case(db, capsys, "open", "--person", "S1", "--reason", "close_contact",
                     "--note", "trace of C-1")  # fmt: skip
    assert code == 0
    case_id = out.split()[0]
    assert out.strip().endswith("opened for S1")
    code, out = case(db, capsys, "ack", case_id)  # opened by a clinician: already seen
    assert (code, "already_acknowledged" in out) == (2, True)
    code, out = case(db, capsys, "measure", case_id, "150")
    assert (code, "implausible_reading" in out) == (2, True)
    assert case(db, capsys, "measure", case_id, "36.8") == (0, f"{case_id} re-measured\n")
    code, out = case(
        db, capsys, "observe", case_id, "--from", "2026-12-10", "--until", "2026-12-01"
    )
    assert (code, "observation_ends_before_start" in out) == (2, True)
    observed = case(db, capsys, "observe", case_id, "--until", "2099-12-17", "--room", "R2")
    assert observed == (0, f"{case_id} under observation\n")
    code, out = case(db, capsys, "list")
    assert f"{case_id}  under observation  S1 Name S1" in out
    assert case(db, capsys, "release", case_id, "--reason", "14 days, no fever")[0] == 0
    code, out = case(db, capsys, "release", case_id, "--reason", "again")
    assert (code, "case_released" in out) == (2, True)
    code, out = case(db, capsys, "show", case_id)
    kinds = [line.split("  ")[2] for line in out.splitlines()[2:]]
    assert kinds == ["acknowledged", "clinical re-measurement", "observation", "released"]
    assert all("dr-wang" in line for line in out.splitlines()[2:])
    assert "1 case(s)" not in case(db, capsys, "list")[1]  # released: no longer listed


def test_confirmed_suspends_until_the_return(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    case_id = case(db, capsys, "open", "--person", "S2", "--reason", "symptoms")[1].split()[0]
    assert case(db, capsys, "refer", case_id, "--hospital", "City No. 1")[0] == 0
    assert case(db, capsys, "confirm", case_id, "--note", "PCR positive")[0] == 0
    code, out = case(db, capsys, "return", case_id, "--date", "2027-01-10", "--certificate", "Z-9")
    assert (code, "case_not_released" in out) == (2, True)
    assert case(db, capsys, "release", case_id, "--reason", "discharged")[0] == 0
    assert "suspended" in case(db, capsys, "list")[1]  # listed until the return
    code, out = case(db, capsys, "return", case_id, "--date", "2027-01-10", "--certificate", "Z-9")
    assert (code, out) == (0, f"{case_id} released\n")
    assert "0 case(s)" in case(db, capsys, "list")[1]


def test_a_list_from_a_file(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("S1\nS404\n")
    code, out = case(db, capsys, "open", "--file", str(listing), "--demo-key")
    assert code == 1
    assert "line 2: S404: nobody in the roster has this id" in out
    assert "nothing written" in out
    listing.write_text("S1\nS3\n")
    code, out = case(db, capsys, "open", "--file", str(listing), "--demo-key")
    assert (code, "2 case(s) opened" in out, "written" in out) == (0, True, True)
    assert "2 case(s)" in case(db, capsys, "list")[1]
    code, out = case(db, capsys, "show", "C-nope")
    assert (code, "no case C-nope" in out) == (2, True)


def test_checkins_from_the_console(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    def checkin(*args: str) -> tuple[int, str]:
        code = main(["checkin", *args, "--db", db, "--by", "teacher-li"])
        out = capsys.readouterr()
        return code, out.out + out.err

    code, out = checkin("record", "--person", "S1", "--slot", "morning", "--celsius", "36.5")
    assert (code, "morning 36.5 °C recorded" in out, "case" in out) == (0, True, False)
    code, out = checkin("record", "--person", "S2", "--slot", "morning", "--celsius", "38.0")
    assert (code, "case C-" in out, "opened" in out) == (0, True, True)
    code, out = checkin("record", "--person", "S3", "--slot", "morning", "--celsius", "150")
    assert (code, "implausible_reading" in out) == (2, True)
    code, out = checkin("record", "--person", "S3", "--slot", "noon", "--celsius", "36.6",
                        "--symptom", "sneezing")  # fmt: skip
    assert code == 2
    code, out = checkin("missing", "--slot", "morning")
    assert code == 0
    assert "- (1): S3" in out
    assert "1 missing morning report(s)" in out
    code, out = checkin("sheet", "--unit", "")
    assert "S1  Name S1  morning 36.50" in out
