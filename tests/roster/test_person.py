"""One person at a time (issue 15, build 4): add, edit, deactivate, reactivate, with who and
why in the audit log; bad values named by field with nothing stored changed."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.errors import NotFound, Refused
from services.identity import DEMO_KEY, IdHasher
from services.roster import PersonInvalid, add_person, edit_person, set_active
from services.roster.parse import parse_card_no, parse_person_id, parse_phone
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
GOOD_ID = "11010519491231002X"
HASHER = IdHasher(DEMO_KEY)
ALICE = {"person_id": "S1", "name": "Alice", "kind": "student", "id_number": GOOD_ID,
         "card_no": "CARD0001", "phone": "138 0000 1111", "class_name": "CS2301",
         "dormitory": "7-203"}  # fmt: skip


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def add(engine: Engine, cells: dict[str, str], reason: str = "enrolled") -> None:
    with Session(engine) as session, session.begin():
        add_person(session=session, cells=cells, hasher=HASHER, by="office", reason=reason,
                   now=NOW)  # fmt: skip


def edit(engine: Engine, person_id: str, changes: dict[str, str]) -> None:
    with Session(engine) as session, session.begin():
        edit_person(session=session, person_id=person_id, changes=changes, hasher=HASHER,
                    by="office", reason="a correction", now=NOW)  # fmt: skip


def row(engine: Engine, person_id: str) -> dict[str, object]:
    with Session(engine) as session:
        found = session.get(PersonRow, person_id)
        assert found is not None
        return {c: getattr(found, c) for c in PersonRow.__table__.columns.keys()}  # noqa: SIM118


def audit(engine: Engine) -> list[tuple[str, str, str, dict[str, object]]]:
    with Session(engine) as session:
        rows = session.scalars(select(AuditLogRow).order_by(AuditLogRow.id))
        return [(r.actor, r.action, r.target, json.loads(r.params_json)) for r in rows]


def test_add_edit_deactivate_reactivate_each_logged_with_who_and_why(engine: Engine) -> None:
    add(engine, ALICE)
    stored = row(engine, "S1")
    assert (stored["card_no"], stored["phone"], stored["dormitory"]) == (
        "CARD0001", "13800001111", "7-203",
    )  # fmt: skip
    edit(engine, "S1", {"dormitory": "8-101", "phone": ""})
    after = row(engine, "S1")
    assert (after["dormitory"], after["phone"]) == ("8-101", None)
    assert after["id_hash"] == stored["id_hash"]  # no new number given: the document is kept
    with Session(engine) as session, session.begin():
        entry = set_active(session=session, person_id="S1", active=False, by="office",
                           reason="graduated", now=NOW)  # fmt: skip
        assert entry.active is False
    with Session(engine) as session, session.begin():
        set_active(session=session, person_id="S1", active=True, by="office",
                   reason="came back for a master's", now=NOW)  # fmt: skip
    log = audit(engine)
    assert [a for _, a, _, _ in log] == [
        "roster.person.add", "roster.person.edit", "roster.person.deactivate",
        "roster.person.reactivate",
    ]  # fmt: skip
    assert all(who == "office" and target == "S1" for who, _, target, _ in log)
    assert log[1][3]["changed"] == ["dormitory", "phone"]
    assert log[2][3]["reason"] == "graduated"
    assert GOOD_ID not in json.dumps([p for *_, p in log])


def test_a_new_document_replaces_the_old_one(engine: Engine) -> None:
    add(engine, ALICE)
    edit(engine, "S1", {"doc_type": "护照", "id_number": "E12345678"})
    stored = row(engine, "S1")
    assert (stored["doc_type"], stored["id_last4"]) == ("passport", "5678")
    assert audit(engine)[-1][3]["changed"] == ["doc_type", "id_number"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "名" * 200}, "name", "longer than 100"),
        ({"card_no": "CARD0002"}, "card_no", "already belongs to 'S2'"),
        ({"id_number": "123", "doc_type": "passport"}, "id_number", "passport"),
        ({"id_number": "E12345678"}, "id_number", "17 digits"),
        ({"doc_type": "passport"}, "id_number", "needs its number"),
        ({"phone": "call me"}, "phone", "digits"),
        ({"kind": "alien"}, "kind", "unknown kind"),
        ({"person_id": "S9"}, "person_id", "cannot change"),
        ({"password": "x"}, "password", "not a roster field"),
    ],
)
def test_a_bad_edit_names_the_field_and_changes_nothing(
    engine: Engine, changes: dict[str, str], field: str, words: str
) -> None:
    add(engine, ALICE)
    add(engine, {**ALICE, "person_id": "S2", "name": "Bob", "card_no": "CARD0002"})
    before = row(engine, "S1")
    with pytest.raises(PersonInvalid) as caught:
        edit(engine, "S1", changes)
    assert any(f == field and words in reason for f, reason in caught.value.problems)
    assert row(engine, "S1") == before
    assert [a for _, a, _, _ in audit(engine)] == ["roster.person.add"] * 2


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ({**ALICE, "person_id": "S/4"}, "person_id"),
        ({**ALICE, "person_id": "../etc"}, "person_id"),
        ({**ALICE, "person_id": "S 4"}, "person_id"),
        ({**ALICE, "name": "x" * 200}, "name"),
        ({**ALICE, "id_number": ""}, "id_number"),
        ({**ALICE, "card_no": "CARD/0001"}, "card_no"),
    ],
)
def test_a_bad_new_person_is_refused_whole(
    engine: Engine, cells: dict[str, str], field: str
) -> None:
    with pytest.raises(PersonInvalid) as caught:
        add(engine, cells)
    assert field in {f for f, _ in caught.value.problems}
    with Session(engine) as session:
        assert session.scalar(select(PersonRow.person_id)) is None
        assert session.scalar(select(AuditLogRow.id)) is None


def test_refusals(engine: Engine) -> None:
    add(engine, ALICE)
    with pytest.raises(Refused, match="exists already"):
        add(engine, ALICE)
    with pytest.raises(PersonInvalid, match="reason"):
        add(engine, {**ALICE, "person_id": "S3", "card_no": ""}, reason="  ")
    with pytest.raises(NotFound):
        edit(engine, "nobody", {"name": "x"})
    with Session(engine) as session, session.begin(), pytest.raises(Refused, match="already"):
        set_active(session=session, person_id="S1", active=True, by="o", reason="r", now=NOW)


@given(st.text(max_size=80))
def test_person_ids_never_hold_a_separator(text: str) -> None:
    try:
        value = parse_person_id(text)
    except ValueError:
        return
    assert not any(c in value for c in "/\\")
    assert not any(c.isspace() for c in value)
    assert 0 < len(value) <= 64


@given(st.text(max_size=40))
def test_card_numbers_are_letters_and_digits(text: str) -> None:
    try:
        value = parse_card_no(text)
    except ValueError:
        return
    assert value is None or (set(value) <= set(string.ascii_uppercase + string.digits)
                             and 4 <= len(value) <= 32)  # fmt: skip


@given(st.text(max_size=40))
def test_phones_are_digits(text: str) -> None:
    try:
        value = parse_phone(text)
    except ValueError:
        return
    assert value is None or value.lstrip("+").isdigit()
