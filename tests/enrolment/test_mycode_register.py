"""My code's codes are in the register while they live, and only then (one row per refresh
for ever would be 2,880 rows a day for a page left open)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.enrolment.mycode import CODE_TTL, fresh_code
from services.storage.engine import make_engine
from services.storage.enrol_models import IssuedCodeRow
from services.storage.issued_codes import live_codes
from tests.fixtures.campus import Campus, make_campus


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", count=3)


def test_live_codes_are_counted_and_expired_ones_pruned(campus: Campus, sqlite_url: str) -> None:
    person = campus.people[0].person_id
    start = datetime.now(UTC)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session, session.begin():
            for n in range(10):  # a refresh every 30 s for five minutes
                mine = fresh_code(session, person, key=campus.key, now=start + n * timedelta(
                    seconds=30), site="main", tz=ZoneInfo("Asia/Shanghai"))  # fmt: skip
                assert mine is not None
                assert mine.code.valid_until - mine.code.issued_at == CODE_TTL
            end = start + 9 * timedelta(seconds=30)
            rows = list(session.scalars(select(IssuedCodeRow).where(
                IssuedCodeRow.person_id == person)))  # fmt: skip
            assert all(row.valid_until > end - timedelta(seconds=30) for row in rows)
            assert len(rows) <= 4
            assert live_codes(session, kid=campus.key.kid, now=end).count == 3
            assert fresh_code(session, "nobody", key=campus.key, now=end, site="main",
                              tz=ZoneInfo("Asia/Shanghai")) is None  # fmt: skip
    finally:
        engine.dispose()
