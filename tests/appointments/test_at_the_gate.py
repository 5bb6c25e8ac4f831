"""Visitors at a real gate: the central service over Mosquitto decides from the appointments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.codes import issue_code
from services.appointments import (
    AppointmentRequest,
    add_approver,
    approve,
    refuse,
    request_appointment,
)
from services.central.worker import CentralWorker
from tests.fixtures.admin import HASHER
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

pytestmark = pytest.mark.mqtt


@pytest.fixture
def worker(central: CentralWorker) -> CentralWorker:
    return central


def appointment(
    engine: Engine, site: str, start: datetime, end: datetime, *, gates: list[str]
) -> str:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        add_approver(session=session, unit="Physics", approver="prof-li", by="admin", now=now)
        made = request_appointment(
            session=session,
            request=AppointmentRequest(
                site=site,
                visitor_name="Qian Lei",
                phone="13900001111",
                id_number=SecretStr(GOOD[1]),
                host_unit="Physics",
                purpose="lab visit",
                gates=gates,
                valid_from=start,
                valid_until=end,
            ),
            hasher=HASHER,
            by="host",
            now=now,
        )
    return made.appointment_id


def test_approved_appointment_admits_at_its_gate_and_time_only(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str, engine: Engine
) -> None:
    now = datetime.now(UTC)
    current = appointment(
        engine, site, now - timedelta(minutes=5), now + timedelta(hours=1), gates=["north-1"]
    )
    later = appointment(
        engine, site, now + timedelta(hours=2), now + timedelta(hours=3), gates=["north-1"]
    )
    refused = appointment(
        engine, site, now - timedelta(minutes=5), now + timedelta(hours=1), gates=["north-1"]
    )
    with Session(engine) as session, session.begin():
        code_now = approve(
            session=session, appointment_id=current, by="prof-li", now=now, key=campus.key
        ).code
        code_later = approve(
            session=session, appointment_id=later, by="prof-li", now=now, key=campus.key
        ).code
        refuse(session=session, appointment_id=refused, by="prof-li", now=now, reason="no")
    signed_anyway = issue_code(
        campus.key, subject=refused, typ="visitor", ttl=timedelta(hours=1), now=now, site=site
    )

    admitted = gate.request(passage(site, code_now))
    assert admitted is not None
    assert (admitted.decision, admitted.reasons) == ("admit", [])
    assert admitted.person is not None
    assert (admitted.person.name, admitted.person.kind) == ("Qian Lei", "visitor")
    elsewhere = gate.request(passage(site, code_now, gate="south-2"))
    assert elsewhere is not None
    assert (elsewhere.decision, elsewhere.reasons) == ("deny", ["not_allowed_here"])
    too_early = gate.request(passage(site, code_later))
    assert too_early is not None
    assert (too_early.decision, too_early.reasons) == ("deny", ["not_whitelisted"])
    refused_visitor = gate.request(passage(site, signed_anyway))
    assert refused_visitor is not None
    assert (refused_visitor.decision, refused_visitor.reasons) == ("deny", ["not_whitelisted"])
    # A visitor with fever is still isolated, and the clinic sees their name.
    fever = gate.request(passage(site, code_now, "38.1"))
    assert fever is not None
    assert (fever.decision, fever.reasons) == ("isolate", ["fever"])
    assert fever.person is not None
    assert fever.person.name == "Qian Lei"
