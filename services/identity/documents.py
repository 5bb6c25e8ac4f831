"""Identity documents a roster row may carry, each checked by its own format.

A 留学生 has a passport, a student from Hong Kong a 回乡证: none of them is a bad
18-digit resident ID, and none is refused as one.  Every document is kept the
same way (the keyed hash of its normalised number and the last four characters),
so a number read or typed at a lane finds its holder whatever the document.

- ``cn_id``: 居民身份证 (and 港澳台居民居住证, the same layout): 18 characters, a
  real birth date, the check digit.
- ``passport``: 护照 of any country: 5-20 letters and digits, a digit among them.
- ``hkmo_permit``: 港澳居民来往内地通行证 (回乡证): H or M, then 8 or 10 digits.
- ``tw_permit``: 台湾居民来往大陆通行证 (台胞证): 8 digits (10 on the old booklet).
- ``foreign_pr``: 外国人永久居留身份证: 18 digits beginning 9 with the check digit,
  or the old 3 letters and 12 digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from kernel.plain_ids import normalise_plain_id
from ui.i18n import Phrase

DEFAULT_DOC_TYPE = "cn_id"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_HKMO = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TW = re.compile(r"[0-9]{8}(?:[0-9]{2})?")
_PR_NEW = re.compile(r"9[0-9]{17}")
_PR_OLD = re.compile(r"[A-Z]{3}[0-9]{12}")
_CN_ID = re.compile(r"[0-9]{17}[0-9X]")


def check_digit_ok(value: str) -> bool:
    """GB 11643's ISO 7064 MOD 11-2 check over the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def validate_cn_id(number: str) -> str | None:
    """None if ``number`` is a well-formed PRC resident ID; else why not."""
    value = normalise_plain_id(number)
    if not _CN_ID.fullmatch(value):
        return Phrase("doc.p.cn_id_shape")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return Phrase("doc.p.cn_id_birth")
    if not check_digit_ok(value):
        return Phrase("doc.p.cn_id_check")
    return None


def _passport(value: str) -> str | None:
    if not _PASSPORT.fullmatch(value) or not any(c.isdigit() for c in value):
        return Phrase("doc.p.passport")
    return None


def _hkmo(value: str) -> str | None:
    if not _HKMO.fullmatch(value):
        return Phrase("doc.p.hkmo")
    return None


def _tw(value: str) -> str | None:
    if not _TW.fullmatch(value):
        return Phrase("doc.p.tw")
    return None


def _foreign_pr(value: str) -> str | None:
    if _PR_OLD.fullmatch(value):
        return None
    if not _PR_NEW.fullmatch(value):
        return Phrase("doc.p.pr_shape")
    if not check_digit_ok(value):
        return Phrase("doc.p.pr_check")
    return None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "cn_id": validate_cn_id,
    "passport": _passport,
    "hkmo_permit": _hkmo,
    "tw_permit": _tw,
    "foreign_pr": _foreign_pr,
}
DOC_TYPES = tuple(VALIDATORS)
DOC_LABELS_ZH = {
    "cn_id": "居民身份证", "passport": "护照", "hkmo_permit": "港澳居民来往内地通行证",
    "tw_permit": "台湾居民来往大陆通行证", "foreign_pr": "外国人永久居留身份证",
}  # fmt: skip
DOC_ALIASES: dict[str, str] = {
    **{name: name for name in DOC_TYPES},
    **{label: name for name, label in DOC_LABELS_ZH.items()},
    "身份证": "cn_id", "居民身份证": "cn_id", "二代身份证": "cn_id", "id": "cn_id",
    "港澳台居民居住证": "cn_id",
    "护照": "passport", "外国护照": "passport",
    "回乡证": "hkmo_permit", "港澳通行证": "hkmo_permit", "港澳居民通行证": "hkmo_permit",
    "台胞证": "tw_permit", "台湾通行证": "tw_permit",
    "永居证": "foreign_pr", "外国人永久居留证": "foreign_pr", "永久居留身份证": "foreign_pr",
}  # fmt: skip


def doc_type_for(text: str) -> str | None:
    """The document type a cell names (English key or Chinese name); empty is ``cn_id``."""
    value = text.strip()
    if not value:
        return DEFAULT_DOC_TYPE
    return DOC_ALIASES.get(value.lower()) or DOC_ALIASES.get(value)


def validate_document(doc_type: str, number: str) -> str | None:
    """None if ``number`` is well formed for ``doc_type``; else why not (naming the type)."""
    validate = VALIDATORS.get(doc_type)
    if validate is None:
        return Phrase("doc.p.unknown_type", type=repr(doc_type), types=", ".join(DOC_TYPES))
    value = normalise_plain_id(number)
    if not value:
        return Phrase("doc.p.empty")
    return validate(value)
