"""One-time enrolment links: a person opens theirs once, sets a PIN, and has their code.

A link carries 192 random bits; only their SHA-256 is stored (a keyed hash adds
nothing at that entropy, and lets the CLI that prints the letters and the web
service that redeems them share no secret).  A link works once, and not after
it expires; a new link for the same person replaces the unused old ones.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.storage.enrol_models import EnrolTokenRow
from services.storage.models import PersonRow

TOKEN_BYTES = 24
DEFAULT_LINK_TTL = timedelta(days=14)
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Link:
    person_id: str
    name: str
    unit: str
    token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def make_links(
    session: Session, people: Sequence[PersonRow], *, now: datetime,
    ttl: timedelta = DEFAULT_LINK_TTL,
) -> list[Link]:  # fmt: skip
    """A fresh link per person (their unused older links are withdrawn)."""
    ids = [p.person_id for p in people]
    for start in range(0, len(ids), 1000):
        session.execute(delete(EnrolTokenRow).where(
            EnrolTokenRow.person_id.in_(ids[start : start + 1000]),
            EnrolTokenRow.used_at.is_(None)))  # fmt: skip
    links = []
    for person in people:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(EnrolTokenRow(token_hash=token_hash(token), person_id=person.person_id,
                                  created_at=now, expires_at=now + ttl, used_at=None))  # fmt: skip
        links.append(Link(person.person_id, person.name, person.unit, token, now + ttl))
    return links


def open_link(session: Session, token: str, *, now: datetime) -> PersonRow | None:
    """The active person a usable link belongs to; None: unknown, used or expired."""
    if not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    row = session.get(EnrolTokenRow, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    person = session.scalar(select(PersonRow).where(PersonRow.person_id == row.person_id))
    return person if person is not None and person.active else None


def use_link(session: Session, token: str, *, now: datetime) -> bool:
    """Spend the link (once: a second use, even concurrent, finds it spent)."""
    result = session.execute(
        update(EnrolTokenRow)
        .where(
            EnrolTokenRow.token_hash == token_hash(token),
            EnrolTokenRow.used_at.is_(None),
            EnrolTokenRow.expires_at > now,
        )
        .values(used_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]
