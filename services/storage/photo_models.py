"""Roster photos: one re-encoded picture and its thumbnail per person, in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base
from services.storage.types import UtcDateTime


class PersonPhotoRow(Base):
    __tablename__ = "person_photos"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # persons.person_id
    # Always a JPEG we encoded ourselves (never the uploaded bytes), at most PHOTO_MAX_PX.
    image: Mapped[bytes] = mapped_column(LargeBinary)
    thumb: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))  # of the file as given: re-import is a no-op
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
