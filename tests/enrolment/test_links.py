"""Enrolment links: stored as hashes only, one use, expiring, replaced by a new letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.enrolment.links import make_links, open_link, use_link
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from tests.fixtures.campus import Campus, make_campus


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", count=5)


def test_a_link_is_kept_as_a_hash_works_once_and_expires(campus: Campus, sqlite_url: str) -> None:
    now = datetime.now(UTC)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            people = list(session.scalars(select(PersonRow).order_by(PersonRow.person_id)))
            first, second = make_links(session, people[:2], now=now, ttl=timedelta(days=1))
            stored = session.execute(text("SELECT * FROM enrol_tokens")).all()
            assert not any(first.token in str(v) for row in stored for v in row)
            assert open_link(session, first.token, now=now) is not None
            assert open_link(session, first.token + "x", now=now) is None
            assert open_link(session, "x" * 10_000, now=now) is None
            assert open_link(session, second.token, now=now + timedelta(days=2)) is None
            assert use_link(session, first.token, now=now)
            assert not use_link(session, first.token, now=now)  # once
            assert open_link(session, first.token, now=now) is None
            [again] = make_links(session, people[1:2], now=now)  # a new letter for the second
            assert open_link(session, second.token, now=now) is None  # the old one withdrawn
            assert open_link(session, again.token, now=now) is not None
    finally:
        engine.dispose()
