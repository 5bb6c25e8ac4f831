"""A key made while the web service and the central run: visitors the web approves get in.

Issue 14, High 4: after ``campusgate keys new`` the web signed visitor codes with
the new key at once, and the running central refused them (``invalid_code``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from kernel.codes import KEYS_RELOAD_S
from kernel.codes.format import split
from services.appointments import add_approver, request_appointment
from services.central.worker import CentralWorker
from services.cli.main import main as campusgate
from services.identity import DEMO_KEY, IdHasher
from services.storage.engine import make_engine
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_seed import UNIT, appointment_request
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

IN_FORCE_WITHIN_S = 2 * KEYS_RELOAD_S + 1.0


def requested(db_url: str, site: str) -> str:
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            add_approver(session=session, unit=UNIT, approver="admin", by="test", now=now)
            made = request_appointment(
                session=session, request=appointment_request(site, now),
                hasher=IdHasher(DEMO_KEY), by="admin", now=now,
            )  # fmt: skip
    finally:
        engine.dispose()
    return made.appointment_id


def test_a_visitor_approved_with_a_key_made_while_everything_runs_is_admitted(
    make_server: Callable[..., WebServer],
    users: str,
    central: CentralWorker,
    campus: Campus,
    gate: DecisionClient,
    site: str,
) -> None:
    web = make_server(users, keys_dir=str(campus.keys_dir))
    appointment_id = requested(users, site)
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    with web.client("admin") as admin:
        approved = admin.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    code = approved.json()["code"]
    _signed, claims, _signature = split(code)
    assert claims["kid"] != campus.key.kid  # signed with the new key, for this site
    assert claims["site"] == site
    started = time.monotonic()
    while True:
        decision = gate.request(passage(site, code))
        assert decision is not None
        if decision.decision == "admit" or time.monotonic() - started > IN_FORCE_WITHIN_S:
            break
        time.sleep(0.05)
    assert (decision.decision, decision.reasons) == ("admit", [])
    assert decision.person is not None
    assert decision.person.kind == "visitor"
