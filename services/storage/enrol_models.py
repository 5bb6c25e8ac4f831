"""Enrolment tables: the register of issued codes, enrolment links, PINs and PIN attempts.

The register keeps what a code *is* (jti, person, key, kind, validity), never the
code itself: enough to count the live codes of a key before it is retired, to
re-issue them, and to revoke one, but nothing a thief could present at a gate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, BigId
from services.storage.types import UtcDateTime


class IssuedCodeRow(Base):
    __tablename__ = "issued_codes"
    __table_args__ = (Index("ix_issued_codes_kid_valid_until", "kid", "valid_until"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(128), index=True)
    kid: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(64))  # a login name, or "mycode"
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EnrolTokenRow(Base):
    """A one-time enrolment link: only a keyed hash of its token is kept."""

    __tablename__ = "enrol_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PersonPinRow(Base):
    """A person's PIN for the my-code page (argon2, like web passwords)."""

    __tablename__ = "person_pins"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PinAttemptRow(Base):
    __tablename__ = "pin_attempts"
    __table_args__ = (
        Index("ix_pin_attempts_person_at", "person_id", "at"),
        Index("ix_pin_attempts_remote_at", "remote", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64))
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column()
