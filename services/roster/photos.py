"""Roster photos: checked to be a real JPEG or PNG of at most 5 MB, then re-encoded.

What is stored is never the uploaded file: the picture is decoded (Pillow, with a
pixel limit so a small file cannot expand into gigabytes), turned upright by its
EXIF orientation, reduced to :data:`PHOTO_MAX_PX` and a :data:`THUMB_PX`
thumbnail, and written again as JPEG without metadata (no GPS, no camera, no
hidden payload).  :func:`person_photo` gives the card printer the stored JPEG.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.errors import RosterError
from services.storage.photo_models import PersonPhotoRow

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 8000 x 5000: any camera's; past it the file is refused undecoded
PHOTO_MAX_PX = 600
THUMB_PX = 160
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG")


class PhotoInvalid(RosterError):
    """A photo that is not a JPEG or PNG image, is damaged, or is too large."""


@dataclass(frozen=True, slots=True)
class Photo:
    image: bytes  # JPEG, at most PHOTO_MAX_PX on its longer side
    thumb: bytes  # JPEG, at most THUMB_PX
    sha256: str  # of the file as given


def _jpeg(picture: Image.Image, size: int) -> bytes:
    copy = picture.copy()
    copy.thumbnail((size, size))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _decoded(data: bytes, name: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise PhotoInvalid(f"{name}: {width}x{height} pixels is too large")
                probe.verify()  # the whole file's structure, before decoding it
            with Image.open(io.BytesIO(data), formats=FORMATS) as picture:
                picture.load()
                return ImageOps.exif_transpose(picture).convert("RGB")
        except PhotoInvalid:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoInvalid(f"{name}: too large in pixels (a decompression bomb?)") from exc
        except UnidentifiedImageError as exc:
            raise PhotoInvalid(f"{name}: not a JPEG or PNG image") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise PhotoInvalid(f"{name}: damaged image ({exc})") from exc


def process_photo(data: bytes, *, name: str = "photo") -> Photo:
    """``data`` checked and re-encoded; PhotoInvalid naming ``name`` otherwise."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoInvalid(f"{name}: {len(data)} bytes is over the {MAX_PHOTO_BYTES} allowed")
    if not data:
        raise PhotoInvalid(f"{name}: empty file")
    picture = _decoded(data, name)
    return Photo(
        image=_jpeg(picture, PHOTO_MAX_PX),
        thumb=_jpeg(picture, THUMB_PX),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def store_photo(*, session: Session, person_id: str, photo: Photo, now: datetime) -> bool:
    """Keep ``photo`` for the person; False when the same file was stored already."""
    row = session.get(PersonPhotoRow, person_id)
    if row is not None and row.sha256 == photo.sha256:
        return False
    if row is None:
        row = PersonPhotoRow(person_id=person_id)
        session.add(row)
    row.image, row.thumb, row.sha256, row.updated_at = (
        photo.image, photo.thumb, photo.sha256, now,
    )  # fmt: skip
    session.flush()
    return True


def person_photo(session: Session, person_id: str, *, thumb: bool = False) -> bytes | None:
    """The person's stored photo (JPEG; the thumbnail with ``thumb``), None without one."""
    column = PersonPhotoRow.thumb if thumb else PersonPhotoRow.image
    found: bytes | None = session.scalar(
        select(column).where(PersonPhotoRow.person_id == person_id)
    )
    return found


def has_photo(session: Session, person_ids: list[str]) -> set[str]:
    """Which of ``person_ids`` have a photo."""
    found = session.scalars(
        select(PersonPhotoRow.person_id).where(PersonPhotoRow.person_id.in_(person_ids))
    )
    return set(found)
