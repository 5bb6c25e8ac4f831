"""One roster row -> the person's values, or every problem with it (column and reason).

Pure: no database, no clock (``now`` is passed in).  Cells come as text from
CSV, or as Excel's own types from XLSX (numbers, dates); both are handled
here so the two formats validate the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.localtime import end_of, start_of
from schemas.names import is_valid_name
from services.identity import IdHasher, doc_type_for, validate_document
from services.identity.documents import DOC_TYPES
from services.roster.columns import (
    ALL_GATES,
    GATE_SEPARATORS,
    NO,
    YES,
    kind_for,
)
from ui.i18n import Phrase

MAX_FIELD = 200
MAX_NAME = 100  # a name longer than this is a pasted paragraph, not a name
MAX_PERSON_ID = 64
MAX_HOUSEHOLD = 64
MAX_DORMITORY = 100
MAX_PHOTO_PATH = 255
# A person id names a photo file and appears in URLs: no separators, no spaces.
PERSON_ID_RE = re.compile(r"[^\s/\\]+")
CARD_RE = re.compile(r"[0-9A-Z]{4,32}")
PHONE_RE = re.compile(r"\+?[0-9]{5,20}")
PHONE_NOISE = re.compile(r"[\s()-]")
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
DATE_RE = re.compile(rf"^{_DATE}$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
RANGE_SEPARATOR = re.compile(r"\s*(?:~|～|至|到|—|–|－|\s-\s|--)\s*")
TWO_DATES_RE = re.compile(rf"^{_DATE}\s*-\s*{_DATE}$")


@dataclass(frozen=True, slots=True)
class PersonValues:
    """A valid roster row, ready to store (the ID number already hashed)."""

    person_id: str
    name: str
    kind: str
    id_hash: str
    id_last4: str
    unit: str
    household: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    gates: str
    return_approved: bool | None  # None: the file does not say
    doc_type: str = "cn_id"
    card_no: str | None = None
    phone: str | None = None
    class_name: str = ""
    dormitory: str = ""
    photo: str | None = None  # as the row names it: a path, resolved by the importer


class RowInvalid(Exception):
    """A row with one or more problems: ``problems`` is a list of (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems


def cell_text(value: object) -> str:
    """A cell as text: whole floats without ``.0``, dates as ISO, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def why(exc: ValueError) -> str:
    """What a parser said, keeping a :class:`~ui.i18n.Phrase` (words in every language)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Phrase) else str(exc)


def parse_day(value: object) -> date:
    """A date as schools write it: 2026-09-01, 2026/9/1, 2026.09.01, 2026年9月1日, 20260901."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    match = DATE_RE.fullmatch(text) or COMPACT_DATE_RE.fullmatch(text)
    if match is None:
        # An ISO date-time from a spreadsheet that kept the time of day.
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            raise ValueError(Phrase("imp.p.bad_date", text=repr(text))) from None
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(Phrase("imp.p.impossible_date", text=repr(text))) from None


def parse_range(value: object) -> tuple[date | None, date | None]:
    """有效期起止: ``2026-09-01~2027-07-01``, ``2026.9.1至2027.7.1``, open ends allowed."""
    text = cell_text(value)
    if not text:
        return None, None
    both = TWO_DATES_RE.fullmatch(text)
    if both is not None:
        g = both.groups()
        return parse_day("-".join(g[:3])), parse_day("-".join(g[3:]))
    parts = RANGE_SEPARATOR.split(text)
    if len(parts) != 2:
        raise ValueError(Phrase("imp.p.bad_validity", text=repr(text)))
    start, end = (p.strip() for p in parts)
    return (parse_day(start) if start else None), (parse_day(end) if end else None)


def parse_gates(value: object) -> str:
    text = cell_text(value)
    if not text or text.lower() in ALL_GATES:
        return "*"
    names = [g for g in GATE_SEPARATORS.split(text) if g]
    bad = [g for g in names if not is_valid_name(g)]
    if bad:
        raise ValueError(Phrase("imp.p.bad_gate", name=repr(bad[0])))
    return ";".join(dict.fromkeys(names))


def parse_yes_no(value: object) -> bool | None:
    text = cell_text(value).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(Phrase("imp.p.yes_no", text=repr(text)))


def parse_doc_type(value: object) -> str:
    text = cell_text(value)
    found = doc_type_for(text)
    if found is None:
        raise ValueError(Phrase("imp.p.doc_type", text=repr(text), types=", ".join(DOC_TYPES)))
    return found


def parse_document(value: object, doc_type: str) -> str:
    """The document number, checked by the format of its own type."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Excel keeps 15 significant digits: an 18-digit number stored as a
        # number has already lost its last digits.
        raise ValueError(Phrase("imp.p.id_as_number"))
    text = cell_text(value).replace(" ", "").upper()
    problem = validate_document(doc_type, text)
    if problem:
        raise ValueError(problem)
    return text


def parse_person_id(value: object) -> str:
    text = _text(value, limit=MAX_PERSON_ID, what="person id", required=True)
    if not PERSON_ID_RE.fullmatch(text):
        raise ValueError(Phrase("imp.p.person_id", text=repr(text[:20])))
    return text


def parse_card_no(value: object) -> str | None:
    text = cell_text(value).replace(" ", "").upper()
    if not text:
        return None
    if not CARD_RE.fullmatch(text):
        raise ValueError(Phrase("imp.p.card_no"))
    return text


def parse_phone(value: object) -> str | None:
    text = PHONE_NOISE.sub("", cell_text(value))
    if not text:
        return None
    if not PHONE_RE.fullmatch(text):
        raise ValueError(Phrase("imp.p.phone"))
    return text


def _text(value: object, *, limit: int, what: str, required: bool) -> str:
    text = cell_text(value)
    named = Phrase(f"imp.what.{what.replace(' ', '_')}")
    if required and not text:
        raise ValueError(Phrase("imp.p.empty", what=named))
    if len(text) > limit:
        raise ValueError(Phrase("imp.p.too_long", what=named, limit=limit))
    if text and not text.isprintable():
        raise ValueError(Phrase("imp.p.control", what=named))
    return text


def _kind(value: object) -> str:
    text = cell_text(value)
    found = kind_for(text)
    if found is None:
        raise ValueError(Phrase("imp.p.kind", text=repr(text), kinds=Phrase("imp.kinds")))
    return found


def _validity(
    cells: Mapping[str, Any], problems: list[tuple[str, str]]
) -> tuple[date | None, date | None]:
    """The validity days, from one 有效期 cell or from two; what is wrong goes to ``problems``."""
    start: date | None = None
    end: date | None = None
    date_field = "validity"
    if "validity" in cells and cell_text(cells["validity"]):
        try:
            start, end = parse_range(cells["validity"])
        except ValueError as exc:
            problems.append(("validity", why(exc)))
    else:
        date_field = "valid_until"
        for field in ("valid_from", "valid_until"):
            if cell_text(cells.get(field)):
                try:
                    day = parse_day(cells[field])
                except ValueError as exc:
                    problems.append((field, why(exc)))
                    continue
                if field == "valid_from":
                    start = day
                else:
                    end = day
    if start and end and end < start:
        problems.append((date_field, Phrase("imp.p.until_before_from", end=end, start=start)))
    return start, end


# Long on purpose: one check per column, in the file's order, so every problem is reported.
def parse_row(
    cells: Mapping[str, Any],
    *,
    hasher: IdHasher,
    tz: ZoneInfo,
    kept_document: tuple[str, str, str] | None = None,
) -> PersonValues:
    """Validate one row (field -> raw cell); raise RowInvalid listing every problem.

    ``kept_document`` (doc type, hash, last four) is what an edit keeps when it gives no
    new document number: the number itself was never stored, so it cannot be re-checked.
    """
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    keep = kept_document is not None and not cell_text(cells.get("id_number"))
    if keep and cell_text(cells.get("doc_type")):
        problems.append(("id_number", Phrase("imp.p.doc_needs_number")))

    def check(field: str, parse: Any) -> None:
        try:
            values[field] = parse(cells.get(field))
        except ValueError as exc:
            problems.append((field, why(exc)))

    check("person_id", parse_person_id)
    check("name", lambda v: _text(v, limit=MAX_NAME, what="name", required=True))
    check("kind", _kind)
    if not keep:
        check("doc_type", parse_doc_type)
        doc_type = values.get("doc_type")
        if doc_type is not None:  # an unknown type is the problem; its number is not judged
            check("id_number", lambda v: parse_document(v, doc_type))
    check("card_no", parse_card_no)
    check("phone", parse_phone)
    check("class_name", lambda v: _text(v, limit=MAX_FIELD, what="class", required=False))
    check("dormitory", lambda v: _text(v, limit=MAX_DORMITORY, what="dormitory", required=False))
    check("photo", lambda v: _text(v, limit=MAX_PHOTO_PATH, what="photo", required=False))
    check("unit", lambda v: _text(v, limit=MAX_FIELD, what="unit", required=False))
    check("household", lambda v: _text(v, limit=MAX_HOUSEHOLD, what="household", required=False))
    check("gates", parse_gates)
    check("return_approved", parse_yes_no)

    start, end = _validity(cells, problems)
    if problems:
        raise RowInvalid(problems)
    if kept_document is not None and keep:
        doc_type, id_hash, id_last4 = kept_document
    else:
        number = values["id_number"]
        doc_type, id_hash, id_last4 = values["doc_type"], hasher.hash(number), hasher.last4(number)
    return PersonValues(
        person_id=values["person_id"],
        name=values["name"],
        kind=values["kind"],
        id_hash=id_hash,
        id_last4=id_last4,
        unit=values["unit"],
        household=values["household"] or None,
        valid_from=start_of(start, tz) if start else None,
        valid_until=end_of(end, tz) if end else None,
        gates=values["gates"],
        return_approved=values["return_approved"],
        doc_type=doc_type,
        card_no=values["card_no"],
        phone=values["phone"],
        class_name=values["class_name"],
        dormitory=values["dormitory"],
        photo=values["photo"] or None,
    )
