"""The retention job once a day at a site-local time: due after the hour, done once a day,
and a restarted job does not run the day's retention again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.privacy.schedule import ACTOR, DailyRetention
from services.storage.engine import make_engine
from services.storage.models import RetentionRunRow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_runs_once_a_day_after_its_local_time_even_across_restarts(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    clock = {"now": datetime(2026, 12, 3, 3, 29, tzinfo=SHANGHAI).astimezone(UTC)}

    def job() -> DailyRetention:  # a new process: nothing remembered but the database
        return DailyRetention(sessions=lambda: Session(engine), now=lambda: clock["now"],
                              tz=SHANGHAI, at=time(3, 30), days=30)  # fmt: skip

    try:
        assert job().run_pending() is None  # 03:29 local: not yet
        clock["now"] += timedelta(minutes=2)
        first = job().run_pending()
        assert first is not None
        assert first.days == 30
        assert job().run_pending() is None  # restarted at 03:31: already done today
        clock["now"] += timedelta(hours=20)  # 23:31 local, same day
        assert job().run_pending() is None
        clock["now"] += timedelta(hours=4)  # 03:31 the next day
        assert job().run_pending() is not None
        with Session(engine) as session:
            runs = session.scalars(select(RetentionRunRow).order_by(RetentionRunRow.id)).all()
        assert [r.actor for r in runs] == [ACTOR, ACTOR]
        assert [r.run_at.astimezone(SHANGHAI).date().day for r in runs] == [3, 4]
    finally:
        engine.dispose()
