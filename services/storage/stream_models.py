"""The gates' passage numbering as the centre checks it: how far, and what never came.

:mod:`services.central.gaps` finds a gap (a number that never arrived) and fills it when
the passage does; the rows live here so that models.py stays one sitting's read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, BigId
from services.storage.types import UtcDateTime


class PassageStreamRow(Base):
    """How far a gate's numbering is checked: each n <= checked_to arrived or is a gap."""

    __tablename__ = "passage_streams"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    gate: Mapped[str] = mapped_column(String(32), primary_key=True)
    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    checked_to: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PassageGapRow(Base):
    """A passage the centre never received (its number is missing), until it arrives."""

    __tablename__ = "passage_gaps"
    __table_args__ = (UniqueConstraint("site", "gate", "stream", "n"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    stream: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(BigInteger)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    filled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
