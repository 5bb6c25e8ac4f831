"""The photo seam: a card draws the roster's photo, and skips bytes that are not an image."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.enrolment.cards.pdf import write_pdf
from services.enrolment.cards.service import issue_cards
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from services.web.me.pages import photo_uri
from tests.fixtures.campus import Campus, make_campus


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", count=3)


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_card_draws_a_photo_and_skips_one_that_is_not_an_image(
    campus: Campus, sqlite_url: str, tmp_path: Path
) -> None:
    photos = {campus.people[0].person_id: png("red"), campus.people[1].person_id: b"<html>"}
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            people = list(session.scalars(select(PersonRow).order_by(PersonRow.person_id)))
            cards = issue_cards(
                session, people, key=campus.key, ttl=timedelta(days=1), now=datetime.now(UTC),
                site="main", tz=ZoneInfo("Asia/Shanghai"), actor="t",
                photos=lambda _session, person_id: photos.get(person_id),
            )  # fmt: skip
            pdf = tmp_path / "photos.pdf"
            with pdf.open("wb") as handle:
                write_pdf(cards, handle)
    finally:
        engine.dispose()
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]  # fmt: skip
    kinds = sorted(line.split()[2] for line in listing)
    # Three QR codes (inline, 1 bit) and one photo (an image object, 8 bits a channel).
    assert len(listing) == 4, listing
    assert kinds.count("image") == 4
    assert sum(" 8 " in line for line in listing) == 1


def test_the_phone_page_shows_only_a_jpeg_or_png_photo() -> None:
    assert (photo_uri(png("blue")) or "").startswith("data:image/png;base64,")
    assert photo_uri(b"\xff\xd8\xff\xe0 jpeg") is not None
    assert photo_uri(b"<svg onload=alert(1)>") is None
    assert photo_uri(b"\x89PNG\r\n\x1a\n" + b"0" * 2_000_000) is None  # too big
    assert photo_uri(None) is None


def test_the_roster_photo_reaches_cards_and_the_page(sqlite_url: str, tmp_path: Path) -> None:
    from services.enrolment.photos import roster_photo
    from services.roster.photos import process_photo, store_photo

    campus = make_campus(sqlite_url, tmp_path / "keys", count=1)
    person_id = campus.people[0].person_id
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            assert roster_photo(session, person_id) is None
            store_photo(session=session, person_id=person_id, photo=process_photo(png("blue")),
                        now=datetime.now(UTC))  # fmt: skip
        with Session(engine) as session:
            stored = roster_photo(session, person_id)
    finally:
        engine.dispose()
    assert stored is not None
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
