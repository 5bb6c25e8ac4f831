"""Cards on A4 as a PDF: ID-1 size (85.6 x 54 mm), 10 or 8 a page, crop marks, embedded font.

Text is drawn with ``drawString`` (no markup is interpreted, so a name like
``<b>`` prints as those characters) and shrunk, then cut with an ellipsis, to
fit its box: a 200-character name never runs into the QR.  The QR is an image
of one pixel per module, 32 mm wide (at least 25 mm; error correction M).
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.pool import AsyncResult
from typing import BinaryIO

from PIL import Image
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from services.enrolment.cards.fonts import register_font
from services.enrolment.cards.model import Card, Lang, kind_word, word
from services.enrolment.cards.qr import inline_image, qr_bits

CARD_W, CARD_H = 85.6 * mm, 54 * mm
QR_SIZE = 32 * mm
PAD = 3.5 * mm
TEXT_W = CARD_W - QR_SIZE - 3 * PAD
MARK_GAP, MARK_LEN = 0.8 * mm, 2.2 * mm
ELLIPSIS = "…"
PHOTO_W, PHOTO_H = 14 * mm, 18 * mm
QR_BATCH = 500  # cards whose QRs a worker makes while the previous batch is laid out


@dataclass(frozen=True, slots=True)
class Grid:
    columns: int
    rows: int
    gap_x: float
    gap_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Bottom-left corner of card ``slot`` (0 top-left, row by row)."""
        width = self.columns * CARD_W + (self.columns - 1) * self.gap_x
        height = self.rows * CARD_H + (self.rows - 1) * self.gap_y
        left, top = (A4[0] - width) / 2, (A4[1] + height) / 2
        row, column = divmod(slot, self.columns)
        return left + column * (CARD_W + self.gap_x), top - (row + 1) * CARD_H - row * self.gap_y


GRIDS = {10: Grid(2, 5, 8 * mm, 3 * mm), 8: Grid(2, 4, 8 * mm, 10 * mm)}


@lru_cache(maxsize=4096)  # titles, units and dates repeat from card to card
def fit(
    text: str, font: str, size: float, width: float, *, min_size: float = 0
) -> tuple[str, float]:
    """``text`` at ``size`` or smaller (not below ``min_size``), cut with an ellipsis to fit."""
    text = " ".join(text.split())  # no control characters or line breaks on a card
    while min_size and size > min_size and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle] + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS, size


def _crop_marks(canvas: Canvas, x: float, y: float) -> None:
    for cx, sx in ((x, -1), (x + CARD_W, 1)):
        for cy, sy in ((y, -1), (y + CARD_H, 1)):
            canvas.line(cx + sx * MARK_GAP, cy, cx + sx * (MARK_GAP + MARK_LEN), cy)
            canvas.line(cx, cy + sy * MARK_GAP, cx, cy + sy * (MARK_GAP + MARK_LEN))


def _text(canvas: Canvas, font: str, text: str, x: float, y: float, *, size: float,
          width: float = TEXT_W, min_size: float = 0) -> None:  # fmt: skip
    shown, used = fit(text, font, size, width, min_size=min_size)
    canvas.setFont(font, used)
    canvas.drawString(x, y, shown)


def _photo(canvas: Canvas, photo: bytes, x: float, y: float) -> None:
    try:
        image = Image.open(io.BytesIO(photo))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return  # a photo that is not an image is left off the card, never fatal
    canvas.drawImage(ImageReader(image), x, y, PHOTO_W, PHOTO_H, preserveAspectRatio=True)


def draw_card(
    canvas: Canvas, card: Card, x: float, y: float, *, lang: Lang,
    bits: tuple[int, int, str] | None = None,
) -> None:  # fmt: skip
    font = register_font()
    left, top = x + PAD, y + CARD_H
    canvas.setFillGray(0.35)
    _text(canvas, font, word("title", lang), left, top - 6 * mm, size=7)
    canvas.setFillGray(0)
    _text(canvas, font, card.name, left, top - 13 * mm, size=13, min_size=9)
    kind = f"{kind_word(card.kind, lang)} · {card.person_id}"
    _text(canvas, font, kind, left, top - 18.5 * mm, size=8)
    _text(canvas, font, f"{word('unit', lang)}: {card.unit}", left, top - 23 * mm, size=7)
    _text(canvas, font, f"{word('id', lang)}: {card.masked_id}", left, top - 27.5 * mm, size=7)
    if card.photo is not None:
        _photo(canvas, card.photo, left, y + PAD)
    qr_x, qr_y = x + CARD_W - PAD - QR_SIZE, top - PAD - QR_SIZE
    bits = bits if bits is not None else qr_bits(card.code)
    canvas.addLiteral(inline_image(bits, x=qr_x, y=qr_y, size=QR_SIZE))
    centre = qr_x + QR_SIZE / 2
    canvas.setFont(font, 6.5)
    canvas.drawCentredString(centre, qr_y - 4 * mm, f"{word('until', lang)} {card.valid_until}")


def _batched(cards: Iterable[Card]) -> Iterator[list[Card]]:
    batch: list[Card] = []
    for card in cards:
        batch.append(card)
        if len(batch) == QR_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def with_qr(cards: Iterable[Card], workers: int) -> Iterator[tuple[Card, tuple[int, int, str]]]:
    """Each card with its QR; with ``workers``, the QRs of the next batch are made in other
    processes (spawned: safe in a threaded web server too) while this batch is laid out."""
    if workers <= 0:
        for card in cards:
            yield card, qr_bits(card.code)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: tuple[list[Card], AsyncResult[list[tuple[int, int, str]]]] | None = None
        for batch in _batched(cards):
            started = pool.map_async(qr_bits, [card.code for card in batch])
            if pending is not None:
                yield from zip(pending[0], pending[1].get(), strict=True)
            pending = (batch, started)
        if pending is not None:
            yield from zip(pending[0], pending[1].get(), strict=True)


def write_pdf(
    cards: Iterable[Card], out: BinaryIO, *, lang: Lang = "zh", per_page: int = 10,
    progress: Callable[[int], None] | None = None, workers: int = 0,
) -> int:  # fmt: skip
    """Lay ``cards`` out on A4 pages into ``out``; returns the number of pages.
    ``workers``: processes making the QR symbols beside this one (0: all here)."""
    grid = GRIDS[per_page]
    rl_config.useA85 = 0  # binary image streams: a fifth smaller, and no time spent encoding
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("campusgate cards")
    canvas.setLineWidth(0.3)
    slot = pages = 0
    for done, (card, bits) in enumerate(with_qr(cards, workers), start=1):
        if slot == 0:
            pages += 1
        x, y = grid.origin(slot)
        _crop_marks(canvas, x, y)
        draw_card(canvas, card, x, y, lang=lang, bits=bits)
        if progress is not None:
            progress(done)
        slot += 1
        if slot == grid.per_page:
            canvas.showPage()
            canvas.setLineWidth(0.3)
            slot = 0
    if slot or not pages:
        canvas.showPage()
        pages += 0 if pages else 1
    canvas.save()
    return pages
