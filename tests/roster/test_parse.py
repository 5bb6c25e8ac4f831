"""The row parser, property-tested: anything in, a person or a list of problems out."""

from __future__ import annotations

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.demo.people import cn_id_number
from services.identity import DEMO_KEY, IdHasher
from services.roster.columns import HEADER_ALIASES, KIND_ALIASES, field_for_header
from services.roster.parse import RowInvalid, parse_day, parse_range, parse_row

TZ = ZoneInfo("Asia/Shanghai")
HASHER = IdHasher(DEMO_KEY)
FIELDS = list(HEADER_ALIASES)

cell = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
)


@given(st.dictionaries(st.sampled_from(FIELDS), cell))
def test_any_cells_give_a_person_or_problems_never_a_crash(cells: dict[str, object]) -> None:
    try:
        person = parse_row(cells, hasher=HASHER, tz=TZ)
    except RowInvalid as exc:
        problems = exc.problems
        person = None
    if person is None:
        assert problems
        assert all(field in FIELDS for field, _reason in problems)
        return
    assert person.kind in {"student", "staff", "family", "visitor", "contractor"}
    assert len(person.id_last4) == 4
    if person.valid_from and person.valid_until:
        assert person.valid_from <= person.valid_until


day_styles = st.sampled_from([
    "{d:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}", "{d:%Y.%m.%d}", "{d.year}年{d.month}月{d.day}日",
    "{d:%Y%m%d}",
])  # fmt: skip


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)), day_styles)
def test_every_written_style_of_a_date_reads_back(day: date, style: str) -> None:
    assert parse_day(style.format(d=day)) == day
    assert parse_day(datetime.combine(day, datetime.min.time())) == day


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["~", "～", "至", "到", " - ", "-", "—"]),
    day_styles,
)
def test_validity_ranges_read_back(start: date, end: date, sep: str, style: str) -> None:
    text = style.format(d=start) + sep + style.format(d=end)
    if sep == "-" and style != "{d:%Y-%m-%d}":
        return  # a bare hyphen is only unambiguous between ISO dates
    assert parse_range(text) == (start, end)


@given(
    st.integers(min_value=1, max_value=10**9),
    st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=20),
    st.sampled_from(sorted(KIND_ALIASES)),
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True), max_size=3),
)
def test_valid_rows_always_import_with_their_values(
    number: int, name: str, kind: str, seed: int, gates: list[str]
) -> None:
    id_number = cn_id_number(random.Random(seed), date(1990, 1, 1))
    cells = {
        "person_id": number,
        "name": name,
        "kind": kind,
        "id_number": id_number.lower(),
        "gates": "；".join(gates),
        "validity": "2026-09-01~2027-07-01",
    }
    person = parse_row(cells, hasher=HASHER, tz=TZ)
    assert person.person_id == str(number)
    assert person.name == name.strip()
    assert person.kind == KIND_ALIASES[kind]
    assert person.id_hash == HASHER.hash(id_number)
    assert person.gates == (";".join(dict.fromkeys(gates)) if gates else "*")
    assert person.valid_from == datetime(2026, 9, 1, tzinfo=TZ)


def test_headers_in_both_languages_map_to_fields() -> None:
    assert field_for_header("学号/工号") == "person_id"
    assert field_for_header(" 身份证号（必填）* ") == "id_number"
    assert field_for_header("学院／单位") == "unit"
    assert field_for_header("Valid_Until") == "valid_until"
    assert field_for_header("备注") is None
