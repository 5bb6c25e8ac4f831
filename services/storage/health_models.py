"""Tables of the clinic's daily work besides cases: incidents at the lane, daily check-ins."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, BigId
from services.storage.types import UtcDateTime


class IncidentRow(Base):
    """Something a guard records at the lane: refused instructions, forced entry, other."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_site_at", "site", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class CheckinRow(Base):
    """One daily health check-in (晨午检): a person's morning or noon temperature and symptoms."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("site", "person_id", "day", "slot"),
        Index("ix_checkins_site_day", "site", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # the site's local date
    slot: Mapped[str] = mapped_column(String(8))  # morning | noon
    celsius: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    symptoms: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[str | None] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class CensusDayRow(Base):
    """The head count on campus at the end of a day (the census carries it to the next day)."""

    __tablename__ = "census_days"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    on_campus: Mapped[int] = mapped_column(Integer)
