"""Case rules on SQLite and PostgreSQL: the workflow, conflicts, escalation once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from schemas.ids import uuid7
from schemas.messages import FeverAlert
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.records import CaseRecord
from services.web.auth.roles import Principal, Role
from services.web.clinic import service
from services.web.errors import Conflict, Forbidden, NotFound

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
            service.acknowledge(session, "main", OFFICER, "C-1", later)
        with pytest.raises(NotFound):
            service.acknowledge(session, "main", NURSE, "C-404", later)
        with pytest.raises(NotFound):
            service.acknowledge(session, "other-site", NURSE, "C-1", later)
        acked = service.acknowledge(session, "main", NURSE, "C-1", later)
        assert (acked.status, acked.acknowledged_by) == ("acknowledged", "nurse")
        with pytest.raises(Conflict, match="already_acknowledged"):
            service.acknowledge(session, "main", NURSE, "C-1", later)
        measured = service.record_measurement(
            session, "main", NURSE, "C-1", celsius=Decimal("36.9"), now=later
        )
        assert (measured.status, measured.clinic_celsius) == ("acknowledged", 36.9)
        closed = service.close_case(
            session, "main", NURSE, "C-1", outcome="released", note="normal", now=later
        )
        assert (closed.status, closed.outcome, closed.closed_by) == ("closed", "released", "nurse")
        for act in (
            lambda: service.record_measurement(
                session, "main", NURSE, "C-1", celsius=Decimal("37"), now=later
            ),
            lambda: service.close_case(
                session, "main", NURSE, "C-1", outcome="released", note="", now=later
            ),
            lambda: service.acknowledge(session, "main", NURSE, "C-1", later),
        ):
            with pytest.raises(Conflict, match="case_closed"):
                act()
        timeline = service.case_detail(session, "main", OFFICER, "C-1").timeline
        assert [e.kind for e in timeline] == ["opened", "acknowledged", "remeasured", "closed"]
        assert timeline[-1].detail == "released: normal"
        # Once closed, the person is no longer under a case for the decision core.
        assert repo.persons_by_id(session=session, person_ids=[]) == {}
    engine.dispose()


def test_closing_an_open_case_acknowledges_it_on_the_way(db_url: str) -> None:
    open_case(db_url, "C-2")
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        closed = service.close_case(
            session, "main", NURSE, "C-2", outcome="referred_hospital", note="", now=OPENED
        )
        assert (closed.acknowledged_by, closed.status) == ("nurse", "closed")
    engine.dispose()


def test_escalation_happens_once_after_the_delay_and_never_for_acknowledged_cases(
    db_url: str,
) -> None:
    open_case(db_url, "C-late")
    open_case(db_url, "C-seen")
    open_case(db_url, "C-new", OPENED + timedelta(minutes=4))
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        service.acknowledge(session, "main", NURSE, "C-seen", OPENED + timedelta(minutes=1))
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
