"""A Code 128 encoder for the simulator, code set B only (printable ASCII).

A symbol is: quiet zone, Start B, one symbol per character (value = code
point - 32), a modulo-103 check symbol (Start B's value plus each data value
times its 1-based position), Stop, quiet zone.  Every symbol is three bars and
three spaces spanning 11 modules; Stop adds a final 2-module bar (13 modules).
"""

from __future__ import annotations

# Bar/space widths in modules for symbol values 0..106, from the public
# symbology specification (ISO/IEC 15417).  103-105 are Start A/B/C, 106 Stop.
# fmt: off
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)
# fmt: on
START_B = 104
STOP = 106
QUIET_ZONE = 10
"""Modules of white space required on each side."""


class Code128Error(ValueError):
    """The text cannot be written in code set B."""


def symbol_values(text: str) -> list[int]:
    """Start B, the data values, the check value and Stop."""
    if not text:
        raise Code128Error("nothing to encode")
    values = [START_B]
    for char in text:
        if not " " <= char <= "~":
            raise Code128Error(f"{char!r} is not in code set B (printable ASCII)")
        values.append(ord(char) - 32)
    check = (START_B + sum(pos * value for pos, value in enumerate(values[1:], 1))) % 103
    return [*values, check, STOP]


def modules(text: str, quiet_zone: int = QUIET_ZONE) -> list[bool]:
    """The symbol as modules, left to right: True for bar (dark), False for space."""
    row = [False] * quiet_zone
    for value in symbol_values(text):
        for index, width in enumerate(PATTERNS[value]):
            row.extend([index % 2 == 0] * int(width))
    row.extend([False] * quiet_zone)
    return row
