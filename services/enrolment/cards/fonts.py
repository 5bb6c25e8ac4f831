"""The CJK font cards are printed with: a TrueType one, embedded (subset) in every PDF.

reportlab embeds TrueType outlines only, so the Noto CJK fonts (CFF outlines)
that the web pages use will not do; ``scripts/setup.sh`` installs WenQuanYi Zen
Hei (``fonts-wqy-zenhei``).  ``CAMPUSGATE_CARD_FONT`` names another ``.ttf`` or
``.ttc`` file (its first face is used).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from kernel.errors import ConfigError

FONT_NAME = "CampusgateCJK"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def font_path() -> Path:
    configured = os.environ.get("CAMPUSGATE_CARD_FONT")
    for candidate in [configured] if configured else CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ConfigError(
        "no TrueType CJK font for the cards: install fonts-wqy-zenhei "
        "(apt-get install fonts-wqy-zenhei) or set CAMPUSGATE_CARD_FONT to a .ttf/.ttc file"
    )


@lru_cache(maxsize=1)
def register_font() -> str:
    """Register the card font with reportlab once per process; returns its name."""
    path = font_path()
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    except (TTFError, OSError) as exc:
        raise ConfigError(f"cannot use {path} as the card font: {exc}") from exc
    return FONT_NAME
