"""Case rules through the web service on SQLite and PostgreSQL: the lifecycle, refusals,
escalation once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from schemas.ids import uuid7
from schemas.messages import FeverAlert
from services.cases.lifecycle import Acknowledge, Measure, Observe, Release
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.records import CaseRecord
from services.web.auth.roles import Principal, Role
from services.web.clinic import service
from services.web.errors import Conflict, Forbidden, InvalidInput, NotFound

OPENED = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
NURSE = Principal(1, "nurse", Role.CLINIC, frozenset(), "en", "csrf")
OFFICER = Principal(2, "officer", Role.SECURITY, frozenset(), "en", "csrf")
DELAY = timedelta(minutes=5)


def open_case(db_url: str, case_id: str, opened: datetime = OPENED) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        repo.open_cases(
            session=session,
            cases=[
                CaseRecord(
                    case_id=case_id,
                    event_id=uuid7(),
                    site="main",
                    gate="north-1",
                    person_id=None,
                    celsius=Decimal("38.20"),
                    opened_at=opened,
                )
            ],
        )
    engine.dispose()


def test_the_case_workflow_and_its_conflicts(db_url: str) -> None:
    open_case(db_url, "C-1")
    engine = make_engine(db_url)
    later = OPENED + timedelta(minutes=2)
    with Session(engine) as session, session.begin():
        with pytest.raises(Forbidden):
            service.act(session, "main", OFFICER, "C-1", Acknowledge(), now=later)
        with pytest.raises(NotFound):
            service.act(session, "main", NURSE, "C-404", Acknowledge(), now=later)
        with pytest.raises(NotFound):
            service.act(session, "other-site", NURSE, "C-1", Acknowledge(), now=later)
        acked = service.act(session, "main", NURSE, "C-1", Acknowledge(), now=later)
        assert (acked.status, acked.acknowledged_by) == ("acknowledged", "nurse")
        with pytest.raises(Conflict, match="already_acknowledged"):
            service.act(session, "main", NURSE, "C-1", Acknowledge(), now=later)
        with pytest.raises(InvalidInput, match="implausible_reading"):
            service.act(session, "main", NURSE, "C-1", Measure(Decimal("150")), now=later)
        measured = service.act(session, "main", NURSE, "C-1", Measure(Decimal("36.9")), now=later)
        assert (measured.status, measured.clinic_celsius) == ("remeasured", 36.9)
        assert measured.isolating  # a reading below the threshold never closes a case
        with pytest.raises(InvalidInput, match="observation_ends_before_start"):
            service.act(session, "main", NURSE, "C-1",
                        Observe("home", later, later - timedelta(days=1)), now=later)  # fmt: skip
        watched = service.act(session, "main", NURSE, "C-1",
                              Observe("room", later, later + timedelta(days=14), "R2"),
                              now=later)  # fmt: skip
        assert (watched.status, watched.observation_room) == ("observation", "R2")
        assert watched.observation_until == later + timedelta(days=14)
        released = service.act(session, "main", NURSE, "C-1", Release("normal"), now=later)
        assert (released.status, released.closed_by, released.release_reason) == (
            "released", "nurse", "normal"
        )  # fmt: skip
        assert not released.isolating
        for action in (Measure(Decimal("37")), Release("again"), Acknowledge()):
            with pytest.raises(Conflict, match="case_released"):
                service.act(session, "main", NURSE, "C-1", action, now=later)
        timeline = service.case_detail(session, "main", OFFICER, "C-1").timeline
        assert [e.kind for e in timeline] == [
            "opened", "acknowledged", "remeasured", "observation", "released"
        ]  # fmt: skip
        assert timeline[-1].detail == "normal"
        assert all(e.actor == "nurse" for e in timeline[1:])
    engine.dispose()


def test_a_guard_cannot_release_a_case(db_url: str) -> None:
    open_case(db_url, "C-g")
    engine = make_engine(db_url)
    guard = Principal(3, "guard-n1", Role.GUARD, frozenset({"north-1"}), "en", "csrf")
    with Session(engine) as session, session.begin():
        with pytest.raises(Forbidden):
            service.act(session, "main", guard, "C-g", Release("let me through"), now=OPENED)
        assert service.case_detail(session, "main", NURSE, "C-g").case.status == "open"
    engine.dispose()


def test_releasing_an_open_case_acknowledges_it_on_the_way(db_url: str) -> None:
    open_case(db_url, "C-2")
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        released = service.act(session, "main", NURSE, "C-2", Release("false alarm"), now=OPENED)
        assert (released.acknowledged_by, released.status) == ("nurse", "released")
    engine.dispose()


def test_escalation_happens_once_after_the_delay_and_never_for_acknowledged_cases(
    db_url: str,
) -> None:
    open_case(db_url, "C-late")
    open_case(db_url, "C-seen")
    open_case(db_url, "C-new", OPENED + timedelta(minutes=4))
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        service.act(session, "main", NURSE, "C-seen", Acknowledge(),
                    now=OPENED + timedelta(minutes=1))  # fmt: skip
        assert service.escalate_due(session, "main", OPENED + timedelta(minutes=4), DELAY) == []
        due = service.escalate_due(session, "main", OPENED + timedelta(minutes=5), DELAY)
        assert [c.case_id for c in due] == ["C-late"]
        assert (
            service.escalate_due(session, "main", OPENED + timedelta(minutes=30), DELAY)[0].case_id
            == "C-new"
        )
        assert service.escalate_due(session, "main", OPENED + timedelta(hours=5), DELAY) == []
        assert [c.case_id for c in service.escalated_cases(session, "main", OFFICER)] == [
            "C-new",
            "C-late",
        ]
    engine.dispose()


def test_an_alert_is_noted_once_whoever_sees_it(db_url: str) -> None:
    open_case(db_url, "C-3")
    alert = FeverAlert(
        alert_id=uuid7(),
        case_id="C-3",
        event_id=uuid7(),
        site="main",
        gate="north-1",
        celsius=Decimal("38.2"),
        threshold=Decimal("37.3"),
        reasons=["fever"],
        decision="isolate",
        ts=OPENED,
    )
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        assert service.note_alert(session, alert, OPENED)
    with Session(engine) as session, session.begin():  # a second web process
        assert not service.note_alert(session, alert, OPENED)
    engine.dispose()
