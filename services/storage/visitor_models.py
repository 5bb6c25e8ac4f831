"""Tables of the visitor work (issue 16): unit officers, what a visitor's own request
carried beyond the appointment, the risk areas, the public page's rate limits, the
plate whitelist.

A visitor's request is an appointment (``appointments``) plus one
``visitor_requests`` row: the health attestation, the guarantor, the status link's
hashed token and the code shown there once approved.  Walk-ins registered at a
kiosk and rows of an imported event list are the same pair, told apart by ``source``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, BigId
from services.storage.types import UtcDateTime


class UnitOfficerRow(Base):
    """A unit's 信息员: sees that unit's people, appointments and today's entries."""

    __tablename__ = "unit_officers"

    unit: Mapped[str] = mapped_column(String(200), primary_key=True)
    officer: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VisitorRequestRow(Base):
    """What a visitor's request carries besides its appointment (same id)."""

    __tablename__ = "visitor_requests"

    appointment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # self | walkin | event
    host_person: Mapped[str] = mapped_column(String(200), default="")
    guarantor: Mapped[str] = mapped_column(String(200), default="")
    companions: Mapped[str] = mapped_column(Text, default="")  # one name a line
    plate: Mapped[str] = mapped_column(String(16), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    fever_free: Mapped[bool] = mapped_column(default=True)
    last_test_on: Mapped[str] = mapped_column(String(10), default="")  # local ISO date
    places: Mapped[str] = mapped_column(Text, default="")  # one place a line
    risk_places: Mapped[str] = mapped_column(Text, default="")  # those on the risk list
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code: Mapped[str | None] = mapped_column(Text)  # the visitor code, once approved
    answer_by: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)  # walk-ins
    gate: Mapped[str] = mapped_column(String(32), default="")  # walk-ins: where they wait
    batch: Mapped[str] = mapped_column(String(40), default="", index=True)  # an event's list


class RiskAreaRow(Base):
    """A place the site counts as a risk area (中高风险地区), edited by administrators."""

    __tablename__ = "risk_areas"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PublicRequestRow(Base):
    """One request sent from the public page: the per-address and per-phone limits count these."""

    __tablename__ = "public_requests"
    __table_args__ = (
        Index("ix_public_requests_address_at", "address", "at"),
        Index("ix_public_requests_phone_at", "phone_hash", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(64))
    phone_hash: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlateRow(Base):
    """A whitelisted vehicle plate (staff cars), with its validity."""

    __tablename__ = "plate_whitelist"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
