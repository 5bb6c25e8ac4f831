"""The one seam where a person's photo comes from, for cards and the my-code page.

Issue 15's roster half adds a photo column (a file path or a ZIP of photos named
by person id).  Until it is connected here, nobody has a photo and cards and the
my-code page are laid out without one.  A photo is JPEG or PNG bytes; the card
printer and the page skip anything that is not an image.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

PhotoSource = Callable[[Session, str], bytes | None]


def roster_photo(session: Session, person_id: str) -> bytes | None:
    """The roster's photo of ``person_id`` (the integration point: none yet)."""
    return None
