"""Enrolment letters: one A4 page per person with their one-time link as a QR and as text.

The link is ``{base_url}/me/enrol/{token}``; the person scans it with their phone,
sets a PIN, and has their code.  Text is drawn, never interpreted (a name like
``<b>`` prints as written), and cut to fit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from services.enrolment.cards.fonts import register_font
from services.enrolment.cards.pdf import fit
from services.enrolment.cards.qr import inline_image, qr_bits
from services.enrolment.links import Link

QR_SIZE = 60 * mm
MARGIN = 25 * mm
WIDTH = A4[0] - 2 * MARGIN
LINES = (
    "请用手机扫描下方二维码（或在浏览器中打开下面的链接），设置 PIN 码后即可随时出示本人通行码。",
    "此链接仅可使用一次，请勿转给他人；如遗失，请联系学院信息员重新发放。",
    "Scan the QR code (or open the link) on your phone and set a PIN: your code is then",
    "always on your phone. The link works once; do not pass it on.",
)


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/me/enrol/{token}"


def _line(canvas: Canvas, font: str, text: str, y: float, size: float) -> None:
    shown, used = fit(text, font, size, WIDTH, min_size=min(size, 8))
    canvas.setFont(font, used)
    canvas.drawString(MARGIN, y, shown)


def write_letters(links: Iterable[Link], out: BinaryIO, *, base_url: str, tz: ZoneInfo) -> int:
    font = register_font()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("campusgate enrolment letters")
    pages = 0
    for link in links:
        pages += 1
        top = A4[1] - MARGIN
        _line(canvas, font, "校园通行码开通通知 / Your campus code", top, 16)
        _line(canvas, font, link.name, top - 14 * mm, 20)
        _line(canvas, font, f"{link.person_id} · {link.unit}", top - 22 * mm, 11)
        for n, text in enumerate(LINES):
            _line(canvas, font, text, top - (34 + 7 * n) * mm, 10)
        url = link_url(base_url, link.token)
        qr_y = top - 70 * mm - QR_SIZE
        canvas.addLiteral(inline_image(qr_bits(url), x=MARGIN, y=qr_y, size=QR_SIZE))
        canvas.setFont("Courier", 9)
        canvas.drawString(MARGIN, qr_y - 8 * mm, url)
        until = link.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        _line(canvas, font, f"链接有效期至 / valid until {until}", qr_y - 15 * mm, 10)
        canvas.showPage()
    if not pages:
        canvas.showPage()
    canvas.save()
    return pages
