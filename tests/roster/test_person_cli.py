"""``campusgate roster person add|edit|deactivate|reactivate`` as an administrator runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cli.main import main
from services.identity import DEMO_KEY
from services.roster import person_photo
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from tests.fixtures.photos import image_bytes

GOOD_ID = "11010519491231002X"


def run(db_url: str, *argv: str, monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setenv("CAMPUSGATE_ID_HASH_KEY", DEMO_KEY.hex())
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["roster", "person", *argv, "--db", db_url, "--demo-key", "--by", "office-li"])


def test_the_commands_change_one_person_and_say_who_and_why(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    photo = tmp_path / "john.png"
    photo.write_bytes(image_bytes("PNG"))
    assert run(db_url, "add", "X90001", "--name", "John Smith", "--kind", "留学生",
               "--doc-type", "护照", "--id-number", "-", "--card-no", "c0ffee99",
               "--photo", str(photo), "--reason", "新生报到",
               monkeypatch=monkeypatch, stdin="E12345678\n") == 0  # fmt: skip
    assert "*5678" in capsys.readouterr().out
    assert run(db_url, "edit", "X90001", "--dormitory", "8-101", "--reason", "换宿舍",
               monkeypatch=monkeypatch) == 0  # fmt: skip
    assert run(db_url, "deactivate", "X90001", "--reason", "毕业", monkeypatch=monkeypatch) == 0
    assert run(db_url, "deactivate", "X90001", "--reason", "again", monkeypatch=monkeypatch) == 2
    assert "inactive already" in capsys.readouterr().err
    assert run(db_url, "reactivate", "X90001", "--reason", "返校", monkeypatch=monkeypatch) == 0
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            stored = session.get(PersonRow, "X90001")
            assert stored is not None
            assert (stored.doc_type, stored.card_no, stored.dormitory, stored.active) == (
                "passport", "C0FFEE99", "8-101", True,
            )  # fmt: skip
            assert person_photo(session, "X90001") is not None
            log = session.execute(select(AuditLogRow.actor, AuditLogRow.action,
                                         AuditLogRow.params_json)).all()  # fmt: skip
    finally:
        engine.dispose()
    verbs = ["add", "edit", "deactivate", "reactivate"]
    assert [a for _, a, _ in log] == [f"roster.person.{verb}" for verb in verbs]
    assert {who for who, _, _ in log} == {"office-li"}
    assert json.loads(log[0][2])["reason"] == "新生报到"
    assert "E12345678" not in str(log)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["add", "S/1", "--name", "A", "--kind", "student", "--id-number", GOOD_ID], "person id"),
        (
            ["add", "S1", "--name", "A" * 200, "--kind", "student", "--id-number", GOOD_ID],
            "longer than 100",
        ),
        (
            ["add", "S1", "--name", "A", "--kind", "student", "--id-number", "E12345678"],
            "17 digits",
        ),
        (
            [
                "add",
                "S1",
                "--name",
                "A",
                "--kind",
                "student",
                "--id-number",
                GOOD_ID,
                "--photo",
                "/etc/hostname",
            ],
            "not a JPEG or PNG",
        ),
        (["edit", "nobody", "--name", "A"], "no person"),
    ],
)
def test_bad_values_are_named_and_nothing_is_stored(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], words: str,
) -> None:  # fmt: skip
    assert run(db_url, *argv, "--reason", "try", monkeypatch=monkeypatch) == 2
    assert words in capsys.readouterr().err
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(PersonRow.person_id)) is None
            assert session.scalar(select(AuditLogRow.id)) is None
    finally:
        engine.dispose()
