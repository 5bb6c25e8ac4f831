"""The daily check-in (晨午检) on a person's own my-code page, on a 360 px phone.

The report lands in the clinic's class sheet; a fever opens a case; the person comes
from their own session, never from the request; staff sessions, no session and a
forged cookie are refused, and hostile bodies are refused whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.enrolment.links import make_links
from services.storage.engine import make_engine
from services.storage.health_models import CheckinRow
from services.storage.models import IsolationCaseRow, PersonRow
from tests.fixtures.campus import Campus
from tests.fixtures.web_server import ShiftedClock, WebServer

PIN = "482913"


@pytest.fixture
def phone_web(
    make_server: Callable[..., WebServer], users: str, campus: Campus, web_clock: ShiftedClock
) -> WebServer:
    return make_server(users, clock=web_clock, keys_dir=str(campus.keys_dir))


def link_for(db: str, person_id: str) -> str:
    engine = make_engine(db)
    try:
        with Session(engine) as session, session.begin():
            person = session.get(PersonRow, person_id)
            assert person is not None
            [link] = make_links(session, [person], now=datetime.now(UTC))
    finally:
        engine.dispose()
    return f"/me/enrol/{link.token}"


def enrol(client: httpx.Client, db: str, person_id: str) -> None:
    assert client.post(link_for(db, person_id), data={"pin": PIN, "pin2": PIN}).status_code == 303


def checkins_of(db: str, person_id: str) -> list[CheckinRow]:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            return list(
                session.scalars(select(CheckinRow).where(CheckinRow.person_id == person_id))
            )
    finally:
        engine.dispose()


def open_cases(db: str, person_id: str) -> int:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(IsolationCaseRow).where(
                IsolationCaseRow.person_id == person_id))  # fmt: skip
            return len(list(rows))
    finally:
        engine.dispose()


def test_a_person_checks_in_from_the_phone_and_the_clinic_sees_it(
    phone_web: WebServer, campus: Campus, users: str, new_page: Callable[..., Page]
) -> None:
    person = campus.people[0]
    page = new_page(360, 740)
    page.goto(phone_web.url + link_for(users, person.person_id))
    page.fill("#pin", PIN)
    page.fill("#pin2", PIN)
    page.click("#enrol-submit")
    expect(page.locator("#checkin-self")).to_be_visible()
    page.select_option("#checkin-self-slot", "morning")
    page.fill("#checkin-self-celsius", "36.5")
    page.click("#checkin-self-form button[type=submit]")
    expect(page.locator("#checkin-self-result")).to_have_attribute("data-state", "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    [row] = checkins_of(users, person.person_id)
    assert (row.slot, float(row.celsius), row.by) == ("morning", 36.5, f"self:{person.person_id}")
    with phone_web.client("nurse") as nurse:
        sheet = nurse.get("/api/v1/checkins", params={"unit": person.unit}).json()
    line = next(r for r in sheet["rows"] if r["person_id"] == person.person_id)
    assert line["morning"]["celsius"] == 36.5


def test_a_fever_reported_from_the_phone_opens_a_case(
    phone_web: WebServer, campus: Campus, users: str
) -> None:
    person = campus.people[1].person_id
    with httpx.Client(base_url=phone_web.url) as phone:
        enrol(phone, users, person)
        answer = phone.post("/me/checkin", json={"slot": "noon", "celsius": "38.2",
                                                 "symptoms": ["cough"]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["case_opened"] is True
    assert open_cases(users, person) == 1


def test_only_the_person_themselves_checks_in(
    phone_web: WebServer, campus: Campus, users: str
) -> None:
    body = {"slot": "morning", "celsius": "36.6", "symptoms": []}
    with httpx.Client(base_url=phone_web.url) as anonymous:
        assert anonymous.post("/me/checkin", json=body).status_code == 401
    for staff in ("guard-n1", "nurse", "admin"):
        with phone_web.client(staff) as client:
            assert client.post("/me/checkin", json=body).status_code == 401, staff
    with httpx.Client(base_url=phone_web.url, cookies={"cg_me": "x.1.y"}) as forged:
        assert forged.post("/me/checkin", json=body).status_code == 401
    victim = campus.people[2].person_id
    with httpx.Client(base_url=phone_web.url) as phone:
        enrol(phone, users, campus.people[3].person_id)
        # Someone else's id in the body is not a field: refused, nothing stored for anyone.
        sneaky = phone.post("/me/checkin", json={**body, "person_id": victim})
        assert sneaky.status_code == 422
        for hostile in ({**body, "celsius": "150"}, {**body, "slot": "<script>"},
                        {**body, "symptoms": ["x" * 10_000]}, {"slot": "morning"}):  # fmt: skip
            assert phone.post("/me/checkin", json=hostile).status_code == 422, hostile
        form = phone.post("/me/checkin", data=body)  # a cross-site form cannot send JSON
        assert form.status_code == 422
    assert checkins_of(users, victim) == []
    assert checkins_of(users, campus.people[3].person_id) == []
