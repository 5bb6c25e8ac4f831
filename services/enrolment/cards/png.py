"""One PNG card per person (``--png DIR``): the PDF's layout drawn at 300 dpi with Pillow.

Files are named by person id, percent-encoded (``a/b`` -> ``a%2Fb.png``), so no
id can name a file outside ``DIR``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from services.enrolment.cards.fonts import font_path
from services.enrolment.cards.model import Card, Lang, kind_word, word
from services.enrolment.cards.qr import qr_image

DPI = 300
MM = DPI / 25.4
SIZE = (round(85.6 * MM), round(54 * MM))
PAD = round(3.5 * MM)
QR_MODULE_PX = 6  # a version-11 symbol (61 modules) is then 31 mm wide at 300 dpi
ELLIPSIS = "…"
PHOTO_BOX = (round(14 * MM), round(18 * MM))


@lru_cache(maxsize=8)
def _font(points: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), round(points * DPI / 72))


def file_name(person_id: str) -> str:
    return quote(person_id, safe="") + ".png"


def _fit(draw: ImageDraw.ImageDraw, text: str, points: float, width: int) -> str:
    text = " ".join(text.split())
    font = _font(points)
    if draw.textlength(text, font=font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle] + ELLIPSIS, font=font) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS


def render_card(card: Card, lang: Lang = "zh") -> Image.Image:
    image = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(image)
    qr = qr_image(card.code)
    qr = qr.resize((qr.width * QR_MODULE_PX, qr.height * QR_MODULE_PX), Image.Resampling.NEAREST)
    qr_x = SIZE[0] - PAD - qr.width
    image.paste(qr, (qr_x, PAD))
    width = qr_x - 2 * PAD
    lines = [
        (word("title", lang), 7, 90, 6),
        (card.name, 13, 0, 13),
        (f"{kind_word(card.kind, lang)} · {card.person_id}", 8, 0, 18.5),
        (f"{word('unit', lang)}: {card.unit}", 7, 0, 23),
        (f"{word('id', lang)}: {card.masked_id}", 7, 0, 27.5),
    ]
    for text, points, grey, baseline_mm in lines:
        y = round(baseline_mm * MM) - _font(points).size
        draw.text((PAD, y), _fit(draw, text, points, width), font=_font(points), fill=grey)
    until = f"{word('until', lang)} {card.valid_until}"
    draw.text((qr_x + qr.width // 2, PAD + qr.height + round(2 * MM)), until,
              font=_font(6.5), fill=0, anchor="mt")  # fmt: skip
    if card.photo is not None:
        _paste_photo(image, card.photo)
    return image


def _paste_photo(image: Image.Image, photo: bytes) -> None:
    try:
        picture = Image.open(io.BytesIO(photo))
        picture.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return
    picture.thumbnail(PHOTO_BOX)
    image.paste(picture.convert("L"), (PAD, SIZE[1] - PAD - picture.height))


def write_pngs(cards: Iterable[Card], directory: Path, *, lang: Lang = "zh",
               progress: Callable[[int], None] | None = None) -> int:  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    done = 0
    for card in cards:
        render_card(card, lang).save(directory / file_name(card.person_id), dpi=(DPI, DPI))
        done += 1
        if progress is not None:
            progress(done)
    return done
