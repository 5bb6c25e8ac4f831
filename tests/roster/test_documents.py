"""Identity documents other than the resident ID, campus card numbers, and bad roster input.

Each document type is checked by its own format and never refused as a bad
18-digit ID (issue 15, build 3); a duplicate card number, a 200-character name
or a person id with ``/`` is a clear error naming the row, and nothing already
stored changes.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.identity import DEMO_KEY, IdHasher, doc_type_for, validate_document
from services.identity.documents import DOC_TYPES, ID_CHECK, ID_WEIGHTS
from services.roster import ImportReport, import_roster
from services.storage.engine import make_engine
from services.storage.models import PersonRow

HEADER = "person_id,name,kind,id_number,doc_type,card_no,phone,class_name,dormitory"
GOOD_ID = "11010519491231002X"
HASHER = IdHasher(DEMO_KEY)


def with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


def test_each_document_by_its_own_format() -> None:
    good = {
        "cn_id": GOOD_ID, "passport": "E12345678", "hkmo_permit": "H1234567801",
        "tw_permit": "12345678", "foreign_pr": with_check_digit("93315619900101001"),
    }  # fmt: skip
    for doc_type, number in good.items():
        assert validate_document(doc_type, number) is None, doc_type
    assert validate_document("foreign_pr", "USA123456789012") is None  # the old card
    # A passport number is not a bad resident ID, and the other way round.
    assert "17 digits" in (validate_document("cn_id", "E12345678") or "")
    assert "H or M" in (validate_document("hkmo_permit", "12345678") or "")
    assert "check digit" in (validate_document("foreign_pr", "933156199001010010") or "")
    assert "passport" in (validate_document("passport", "ABCDEFGH") or "")
    assert "unknown document type" in (validate_document("library_card", "123") or "")


def test_document_types_by_their_chinese_names() -> None:
    assert doc_type_for("") == "cn_id"
    assert doc_type_for("护照") == "passport"
    assert doc_type_for("回乡证") == "hkmo_permit"
    assert doc_type_for("台胞证") == "tw_permit"
    assert doc_type_for("外国人永久居留身份证") == "foreign_pr"
    assert doc_type_for("Passport") == "passport"
    assert doc_type_for("驾照") is None


@given(st.sampled_from(DOC_TYPES), st.text(max_size=40))
def test_any_text_is_judged_never_raised(doc_type: str, number: str) -> None:
    result = validate_document(doc_type, number)
    assert result is None or isinstance(result, str)


@given(st.text(alphabet=string.digits, min_size=17, max_size=17))
def test_a_resident_id_with_a_wrong_check_digit_is_refused(first17: str) -> None:
    good = with_check_digit(first17)
    wrong = good[:17] + next(c for c in ID_CHECK if c != good[17])
    assert validate_document("cn_id", wrong) is not None


@given(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=5, max_size=20)
       .filter(lambda s: any(c.isdigit() for c in s)))  # fmt: skip
def test_every_alphanumeric_passport_number_is_accepted(number: str) -> None:
    assert validate_document("passport", number) is None


def run(db_url: str, *rows: str) -> ImportReport:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            return import_roster([HEADER, *rows], session=session, hasher=HASHER)
    finally:
        engine.dispose()


def stored(db_url: str) -> dict[str, tuple[str, str | None, str, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return {
                r.person_id: (r.name, r.card_no, r.doc_type, r.phone)
                for r in session.scalars(select(PersonRow))
            }
    finally:
        engine.dispose()


def test_a_foreign_student_imports_with_their_passport(db_url: str) -> None:
    report = run(
        db_url,
        "X1,John Smith,留学生,E12345678,护照,CARD0001,+86 138-0000-0000,物理2301,7-203",
        "X2,陈大文,学生,H12345678,回乡证,,,,",
    )
    assert report.errors == []
    assert report.inserted == 2
    assert stored(db_url)["X1"] == ("John Smith", "CARD0001", "passport", "+8613800000000")
    assert stored(db_url)["X2"][2] == "hkmo_permit"


def test_bad_input_names_the_row_and_changes_nothing_stored(db_url: str) -> None:
    run(db_url, f"S1,Alice,student,{GOOD_ID},,CARD0001,,,", f"S2,Bob,student,{GOOD_ID},,,,,")
    before = stored(db_url)
    report = run(
        db_url,
        f"S2,Bob Renamed,student,{GOOD_ID},,CARD0001,,,",  # Alice's card
        f"S3,{'名' * 200},student,{GOOD_ID},,,,,",
        f"S/4,Dan,student,{GOOD_ID},,,,,",
        "S5,Eve,student,E12345678,,,,,",  # a passport number as a resident ID
        "S6,Fay,student,123,护照,,,,",
        f"S7,Gus,student,{GOOD_ID},,DUP00001,,,",
        f"S8,Hal,student,{GOOD_ID},,DUP00001,,,",
        f"S1,Alice,student,{GOOD_ID},,CARD/01,,,",
    )
    errors = {e.line: str(e) for e in report.errors}
    assert "already belongs to 'S1'" in errors[2]
    assert "name is longer than 100" in errors[3]
    assert "person id 'S/4'" in errors[4]
    assert "17 digits" in errors[5]
    assert "passport" in errors[6]
    assert "duplicate card number DUP00001" in errors[8]
    assert "line 7" in errors[8]
    assert "card number must be" in errors[9]
    after = stored(db_url)
    assert {k: after[k] for k in before} == before  # Alice and Bob exactly as they were
    assert after["S7"][1] == "DUP00001"
    assert "S8" not in after


def test_a_card_passed_from_one_person_to_another_in_one_file(db_url: str) -> None:
    run(
        db_url, f"S1,Alice,student,{GOOD_ID},,CARD0001,,,", f"S2,Bob,student,{GOOD_ID},,CARD0002,,,"
    )
    report = run(db_url, f"S1,Alice,student,{GOOD_ID},,CARD0002,,,",
                 f"S2,Bob,student,{GOOD_ID},,CARD0001,,,")  # fmt: skip
    assert report.errors == []
    assert report.updated == 2
    assert stored(db_url)["S1"][1] == "CARD0002"
    assert stored(db_url)["S2"][1] == "CARD0001"


@given(st.text(max_size=30))
def test_a_document_type_cell_is_a_known_type_or_none(text: str) -> None:
    found = doc_type_for(text)
    assert found is None or found in DOC_TYPES
