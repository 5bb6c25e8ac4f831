"""Chinese number plates: the formats a campus gate meets, checked before anything is stored.

In the kernel because both sides read plates the same way: the centre when a plate
is whitelisted or booked, the gate and the centre when a vehicle lane announces one.

- ordinary (7 characters): province, issuing-office letter, five of letters/digits
  (no I or O), e.g. 京A12345, 粤B1C2D3; a last character 学 警 挂 港 澳 领 allowed in
  place of the fifth;
- new energy (8 characters, 新能源): province, letter, then D or F and five
  letters/digits with the last four digits (small cars, 京AD12345, 京AF1A234) or five
  digits then D or F (large vehicles, 京A12345D).

``normalise_plate`` upper-cases, drops spaces, dots and the middle dot a plate is
printed with, and returns the plate or raises ``ConfigError`` with the rule broken.
"""

from __future__ import annotations

import re

from kernel.errors import ConfigError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # I and O are never used: they read as 1 and 0
_ALNUM = f"{_LETTER}0-9"
ORDINARY = re.compile(
    rf"^[{PROVINCES}][{_LETTER}](?:[{_ALNUM}]{{5}}|[{_ALNUM}]{{4}}[学警挂港澳领])$"
)
NEW_ENERGY = re.compile(rf"^[{PROVINCES}][{_LETTER}](?:[DF][{_ALNUM}][0-9]{{4}}|[0-9]{{5}}[DF])$")
_SEPARATORS = str.maketrans("", "", " \t·.-•")
MAX_PLATE_INPUT = 16


def normalise_plate(text: str) -> str:
    """The plate in its canonical form (upper case, no separators); ConfigError if malformed."""
    if len(text) > MAX_PLATE_INPUT:
        raise ConfigError("a number plate has 7 or 8 characters")
    plate = text.translate(_SEPARATORS).upper()
    if ORDINARY.fullmatch(plate) or NEW_ENERGY.fullmatch(plate):
        return plate
    if not plate or plate[0] not in PROVINCES:
        raise ConfigError("a number plate starts with a province's character, e.g. 京")
    raise ConfigError(
        "not a number plate: 7 characters (京A12345) or 8 for new energy (京AD12345, 京A12345D)"
    )


def is_plate(text: str) -> bool:
    try:
        normalise_plate(text)
    except ConfigError:
        return False
    return True


def plate_or_none(text: str) -> str | None:
    """The canonical plate, or None when ``text`` is not one."""
    try:
        return normalise_plate(text)
    except ConfigError:
        return None
