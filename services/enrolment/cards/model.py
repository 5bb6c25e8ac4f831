"""What one card shows, the words on it, and the photo seam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class Card:
    person_id: str
    name: str
    kind: str
    unit: str
    masked_id: str
    valid_until: str  # already in the site's time zone, as printed
    code: str
    photo: bytes | None = None


KIND_WORDS: dict[str, dict[Lang, str]] = {
    "student": {"zh": "学生", "en": "Student"},
    "staff": {"zh": "教职工", "en": "Staff"},
    "family": {"zh": "家属", "en": "Family"},
    "visitor": {"zh": "访客", "en": "Visitor"},
    "contractor": {"zh": "施工/服务人员", "en": "Contractor"},
}

WORDS: dict[str, dict[Lang, str]] = {
    "title": {"zh": "校园通行证", "en": "Campus pass"},
    "unit": {"zh": "单位", "en": "Unit"},
    "id": {"zh": "证件", "en": "ID"},
    "until": {"zh": "有效期至", "en": "Valid until"},
    "no_photo": {"zh": "照片", "en": "Photo"},
}


def word(key: str, lang: Lang) -> str:
    return WORDS[key][lang]


def kind_word(kind: str, lang: Lang) -> str:
    return KIND_WORDS.get(kind, {}).get(lang, kind)
