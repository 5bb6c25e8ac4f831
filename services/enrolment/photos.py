"""The one place a person's photo comes from, for cards and the my-code page.

The roster keeps each photo re-encoded as JPEG (a full one and a thumbnail); the card
printer and the page still skip anything that is not an image.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.roster.photos import person_photo

PhotoSource = Callable[[Session, str], bytes | None]


def roster_photo(session: Session, person_id: str) -> bytes | None:
    """The roster's photo of ``person_id`` (the full one: a card prints it 20 mm wide)."""
    return person_photo(session, person_id)
