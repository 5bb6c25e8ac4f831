"""Issue 16 over HTTP: the public request refuses bad input clearly and stores nothing of
it, limits one address and one phone, keeps hostile text as text; units see only their
own; walk-ins nobody answers are refused and logged; the approved code is e-mailed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.models import AppointmentRow, AuditLogRow, PersonRow
from services.storage.visitor_models import VisitorRequestRow
from services.web.notify.channels import EmailChannel, SmtpTarget
from services.web.notify.service import RetryPolicy
from tests.fixtures.campus import Campus
from tests.fixtures.receivers import SmtpReceiver
from tests.fixtures.roster import GOOD
from tests.fixtures.web_seed import GUARANTOR, OTHER_UNIT, UNIT, entry_for, seed_units
from tests.fixtures.web_server import ShiftedClock, WebServer

pytestmark = pytest.mark.mqtt

NAME_FIELDS = ("visitor_name", "host_person", "guarantor")
HOSTILE = '<img src=x onerror="alert(1)">'


def body(now: datetime | None = None, **changes: Any) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    fields: dict[str, Any] = {
        "visitor_name": "Wang Fangke",
        "phone": "13912345678",
        "document_type": "id_card",
        "document_number": GOOD[2],
        "host_unit": UNIT,
        "host_person": "Prof. Chen",
        "purpose": "thesis defence",
        "valid_from": (now + timedelta(minutes=1)).isoformat(),
        "valid_until": (now + timedelta(hours=3)).isoformat(),
        "fever_free": True,
        "guarantor": GUARANTOR,
    }
    fields.update(changes)
    return fields


class Office:
    def __init__(self, web: WebServer, db_url: str) -> None:
        self.web = web
        self.engine = make_engine(db_url)

    def count(self, row: type[Any]) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(row)) or 0

    def actions(self, action: str) -> list[tuple[str, str]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(AuditLogRow).where(AuditLogRow.action == action))
            return [(r.actor, r.target) for r in rows]


@pytest.fixture
def office(
    make_server: Callable[..., WebServer], users: str, campus: Campus, web_clock: ShiftedClock
) -> Iterator[Office]:
    seed_units(users)
    found = Office(make_server(users, keys_dir=str(campus.keys_dir), clock=web_clock), users)
    yield found
    found.engine.dispose()


def hour(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


BAD = [
    pytest.param({"host_unit": "No Such Unit"}, 422, id="unit-that-does-not-exist"),
    pytest.param(
        {"valid_from": hour(timedelta(hours=-3)), "valid_until": hour(timedelta(hours=-1))},
        422,
        id="window-in-the-past",
    ),
    pytest.param({"valid_until": hour(timedelta(hours=30))}, 422, id="window-longer-than-policy"),
    pytest.param(
        {"valid_from": hour(timedelta(days=30)), "valid_until": hour(timedelta(days=30, hours=1))},
        422,
        id="too-far-ahead",
    ),
    pytest.param({"valid_until": hour(timedelta(minutes=-10))}, 422, id="ends-before-it-starts"),
    pytest.param({"plate": "京A1234"}, 422, id="plate-too-short"),
    pytest.param({"plate": "AB12345"}, 422, id="plate-without-province"),
    pytest.param({"plate": "京AI2345"}, 422, id="plate-with-letter-I"),
    pytest.param({"phone": "12345"}, 422, id="bad-phone"),
    pytest.param({"document_number": "110101199001011234"}, 422, id="bad-id-check-digit"),
    pytest.param({"fever_free": False}, 422, id="fever-declared"),
    pytest.param({"guarantor": "Not On The Roster"}, 422, id="guarantor-outside-the-unit"),
    pytest.param({"guarantor": "Physics Staff"}, 422, id="guarantor-of-another-unit"),
    pytest.param({"last_test_on": "2099-01-01"}, 422, id="test-in-the-future"),
    pytest.param({"email": "a@b.c>\r\nBcc: x@y.z"}, 422, id="email-header-injection"),
    *(pytest.param({f: HOSTILE}, 422, id=f"html-in-{f}") for f in NAME_FIELDS),
    pytest.param({"companions": [HOSTILE]}, 422, id="html-in-companions"),
    pytest.param({"places": [HOSTILE]}, 422, id="html-in-places"),
    pytest.param({"host_unit": HOSTILE}, 422, id="html-in-host-unit"),
    pytest.param({"plate": HOSTILE}, 422, id="html-in-plate"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "status"), BAD)
def test_bad_requests_are_refused_clearly_and_store_nothing(
    office: Office, change: dict[str, Any], status: int
) -> None:
    with office.web.client() as visitor:
        answer = visitor.post("/api/v1/visit", json=body(**change))
    assert answer.status_code == status, answer.text
    problem = answer.json()
    # The domain's own words ("the visit starts in the past"), or the field the schema refused.
    assert problem.get("detail"), problem
    assert (office.count(AppointmentRow), office.count(VisitorRequestRow)) == (0, 0)


def test_a_new_energy_plate_is_accepted_and_kept_canonical(office: Office) -> None:
    with office.web.client() as visitor:
        made = visitor.post("/api/v1/visit", json=body(plate="粤b d12345"))
    assert made.status_code == 201, made.text
    with Session(office.engine) as session:
        [row] = session.scalars(select(VisitorRequestRow))
    assert row.plate == "粤BD12345"


def test_html_in_free_text_is_kept_as_text_and_shown_escaped(office: Office) -> None:
    with office.web.client() as visitor:
        made = visitor.post("/api/v1/visit", json=body(purpose=HOSTILE))
    assert made.status_code == 201, made.text
    with office.web.client("approver-cs") as approver:
        page = approver.get("/unit").text
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=" in page


def test_the_form_page_is_zh_cn_first_and_refuses_a_post_without_its_token(office: Office) -> None:
    with office.web.client() as visitor:
        page = visitor.get("/visit")
        forged = visitor.post("/visit", data={"visitor_name": "x", "form_token": "0" * 64})
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "访客入校申请" in page.text
    assert forged.status_code == 403
    assert office.count(AppointmentRow) == 0


def test_the_form_page_keeps_what_was_typed_escaped_when_it_refuses(office: Office) -> None:
    with office.web.client() as visitor:
        token = re.search(r'name="form_token" value="([0-9a-f]+)"', visitor.get("/visit").text)
        assert token
        refused = visitor.post("/visit", data={"form_token": token[1], "visitor_name": HOSTILE,
                                               "day": "2026-01-01", "time_from": "09:00",
                                               "time_until": "10:00"})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="visit-error"' in refused.text
    assert HOSTILE not in refused.text
    assert "&lt;img" in refused.text
    assert office.count(AppointmentRow) == 0


def test_a_thousand_requests_a_minute_from_one_address_are_refused(office: Office) -> None:
    statuses: list[int] = []
    with office.web.client() as flood:
        for n in range(1000):
            answer = flood.post("/api/v1/visit", json=body(phone=f"139{n:08d}"))
            statuses.append(answer.status_code)
    limit = 20  # web.visitors.per_address, the default
    assert statuses[:limit] == [201] * limit
    assert set(statuses[limit:]) == {429}
    assert office.count(AppointmentRow) == limit


def test_one_phone_number_is_limited_per_day(office: Office, web_clock: ShiftedClock) -> None:
    with office.web.client() as visitor:
        statuses = [visitor.post("/api/v1/visit", json=body()).status_code for _ in range(4)]
        web_clock.advance(timedelta(days=1, minutes=1))
        later = visitor.post("/api/v1/visit", json=body(web_clock.now()))
    assert statuses == [201, 201, 201, 429]
    assert later.status_code == 201, later.text


def test_a_request_from_a_risk_area_is_flagged_to_the_approver(office: Office) -> None:
    with office.web.client("admin") as admin:
        assert admin.post("/api/v1/visitors/risk-areas", json={"name": "海淀区"}).status_code == 201
    with office.web.client() as visitor:
        made = visitor.post("/api/v1/visit", json=body(places=["北京市海淀区", "天津市"]))
        calm = visitor.post("/api/v1/visit", json=body(phone="13800000000", places=["天津市"]))
    assert (made.json()["risk_flagged"], calm.json()["risk_flagged"]) == (True, False)
    with office.web.client("approver-cs") as approver:
        listed = approver.get("/api/v1/unit/appointments").json()
        page = approver.get("/unit").text
    flags = {p["appointment"]["appointment_id"]: p["risk_places"] for p in listed}
    assert flags[made.json()["appointment_id"]] == ["北京市海淀区"]
    assert flags[calm.json()["appointment_id"]] == []
    assert "flag risk" in page


def test_units_see_only_their_own_and_approve_only_their_own(office: Office) -> None:
    with office.web.client() as visitor:
        cs = visitor.post("/api/v1/visit", json=body()).json()["appointment_id"]
        ph = visitor.post(
            "/api/v1/visit", json=body(host_unit=OTHER_UNIT, guarantor="Physics Staff")
        ).json()["appointment_id"]
    with office.web.client("infoofficer-cs") as officer:
        seen = [
            p["appointment"]["appointment_id"]
            for p in officer.get("/api/v1/unit/appointments").json()
        ]
        people = {p["unit"] for p in officer.get("/api/v1/unit/people").json()}
        may_not = officer.post(f"/api/v1/unit/appointments/{cs}/approve", json={})
    with office.web.client("approver-ph") as physics:
        theirs = physics.post(f"/api/v1/unit/appointments/{ph}/approve", json={})
        other = physics.post(f"/api/v1/unit/appointments/{cs}/approve", json={})
        other_refuse = physics.post(
            f"/api/v1/unit/appointments/{cs}/refuse", json={"reason": "not mine"}
        )
    assert seen == [cs]
    assert people == {UNIT}
    assert may_not.status_code == 403
    assert theirs.status_code == 200, theirs.text
    assert (other.status_code, other.json()["error"]) == (403, "refused")
    assert other_refuse.status_code == 403
    with office.web.client("approver-cs") as approver:
        still = approver.get("/api/v1/unit/appointments").json()
    assert [p["appointment"]["status"] for p in still] == ["requested"]  # untouched by Physics


def test_nobody_makes_themselves_a_units_officer(office: Office) -> None:
    with office.web.client("admin") as admin:
        own = admin.post("/api/v1/units/officers", json={"unit": UNIT, "officer": "admin"})
    assert (own.status_code, own.json()["error"]) == (403, "refused")


def walkin(gate: str = "north-1") -> dict[str, Any]:
    return {"visitor_name": "Zhao Linshi", "phone": "13712345678", "document_number": GOOD[4],
            "host_unit": UNIT, "gate": gate}  # fmt: skip


def test_an_unanswered_walkin_is_refused_and_logged(
    office: Office, web_clock: ShiftedClock
) -> None:
    with office.web.client("guard-n1") as guard:
        made = guard.post("/api/v1/gates/north-1/walkins", json=walkin())
        assert made.status_code == 201, made.text
        walkin_id = made.json()["appointment_id"]
        waiting = guard.get(f"/api/v1/gates/north-1/walkins/{walkin_id}").json()
        web_clock.advance(timedelta(seconds=601))  # web.visitors.walkin_answer_s + 1
        answer = guard.get(f"/api/v1/gates/north-1/walkins/{walkin_id}").json()
    with office.web.client("guard-s2") as other_gate:
        elsewhere = other_gate.get(f"/api/v1/gates/north-1/walkins/{walkin_id}")
    with office.web.client("approver-cs") as approver:
        late = approver.post(f"/api/v1/unit/appointments/{walkin_id}/approve", json={})
    assert made.json()["approvers"] == 1
    assert waiting["status"] == "requested"
    assert (answer["status"], answer["decided_by"], answer["code"]) == ("refused", "system", None)
    assert elsewhere.status_code == 403
    assert late.status_code == 403
    assert office.actions("appointment.expire") == [("system", walkin_id)]


@pytest.fixture
def mail_office(
    make_server: Callable[..., WebServer], users: str, campus: Campus
) -> Iterator[tuple[Office, SmtpReceiver]]:
    seed_units(users)
    smtp = SmtpReceiver().start()
    channel = EmailChannel(SmtpTarget(host="127.0.0.1", port=smtp.port, sender="gate@campus",
                                      recipients={}))  # fmt: skip
    web = make_server(
        users, keys_dir=str(campus.keys_dir), channels=[(channel, RetryPolicy(2, 0.1))]
    )
    found = Office(web, users)
    yield found, smtp
    found.engine.dispose()
    smtp.stop()


def test_the_approved_code_is_shown_on_the_status_link_and_emailed(
    mail_office: tuple[Office, SmtpReceiver],
) -> None:
    office, smtp = mail_office
    with office.web.client() as visitor:
        made = visitor.post("/api/v1/visit", json=body(email="wang@example.org")).json()
        token = made["status_url"].rsplit("/", 1)[1]
        before = visitor.get(f"/api/v1/visit/{token}").json()
    with office.web.client("approver-cs") as approver:
        approved = approver.post(
            f"/api/v1/unit/appointments/{made['appointment_id']}/approve", json={}
        )
    assert approved.json()["emailed"] is True
    with office.web.client() as visitor:
        after = visitor.get(f"/api/v1/visit/{token}").json()
        unknown = visitor.get("/api/v1/visit/" + "A" * 32)
    to, message = smtp.get()
    assert (before["status"], before["code"]) == ("requested", None)
    assert after["status"] == "approved"
    assert after["code"] == approved.json()["code"]
    assert after["visitor_name"] == "W*** F*****"  # the link may be forwarded: masked
    assert to == ["wang@example.org"]
    assert approved.json()["code"] in message.get_content()
    assert unknown.status_code == 404


def test_a_guard_registers_and_checks_only_at_their_own_gate(office: Office) -> None:
    with office.web.client("guard-s2") as guard:
        walk = guard.post("/api/v1/gates/north-1/walkins", json=walkin())
        plate = guard.get("/api/v1/gates/north-1/plates/京A12345")
        own = guard.get("/api/v1/gates/south-2/plates/京A12345")
        bad = guard.get("/api/v1/gates/south-2/plates/京A1234")
    assert (walk.status_code, walk.json()["error"]) == (403, "forbidden_gate")
    assert (plate.status_code, plate.json()["error"]) == (403, "forbidden_gate")
    assert own.json() == {"plate": "京A12345", "allowed": False}
    assert bad.status_code == 422
    assert office.count(AppointmentRow) == 0


def test_the_plate_whitelist_refuses_a_malformed_plate_and_admits_a_new_energy_one(
    office: Office,
) -> None:
    with office.web.client("admin") as admin:
        bad = admin.post("/api/v1/vehicles/plates", json={"plate": "<b>京A1</b>"})
        good = admin.post("/api/v1/vehicles/plates", json={"plate": "京ad12345", "owner": "Li"})
        listed = admin.get("/api/v1/vehicles/plates").json()
    with office.web.client("guard-n1") as guard:
        checked = guard.get("/api/v1/gates/north-1/plates/京AD12345").json()
    assert bad.status_code == 422
    assert good.status_code == 201, good.text
    assert [p["plate"] for p in listed] == ["京AD12345"]
    assert checked == {"plate": "京AD12345", "allowed": True}


def test_a_visit_is_cancelled_by_its_unit_and_leaves_the_expected_list(office: Office) -> None:
    with office.web.client() as visitor:
        made = visitor.post(
            "/api/v1/visit",
            json=body(plate="京A54321", companions=["Li Tong"], valid_from=hour(timedelta())),
        ).json()
    visit, token = made["appointment_id"], made["status_url"].rsplit("/", 1)[1]
    with office.web.client("approver-cs") as approver:
        assert approver.post(f"/api/v1/unit/appointments/{visit}/approve", json={}).is_success
    with office.web.client("guard-n1") as guard:
        [expected] = guard.get("/api/v1/gates/north-1/expected").json()
    with office.web.client("approver-ph") as physics:
        not_theirs = physics.post(f"/api/v1/unit/appointments/{visit}/cancel",
                                  json={"reason": "not my unit"})  # fmt: skip
    with office.web.client("approver-cs") as approver:
        cancelled = approver.post(f"/api/v1/unit/appointments/{visit}/cancel",
                                  json={"reason": "the defence moved online"})  # fmt: skip
    with office.web.client("guard-n1") as guard:
        after = guard.get("/api/v1/gates/north-1/expected").json()
    with office.web.client() as visitor:
        status = visitor.get(f"/api/v1/visit/{token}").json()
    assert (expected["plate"], expected["party"]) == ("京A54321", 2)
    assert not_theirs.status_code == 403
    assert cancelled.json()["status"] == "cancelled"
    assert after == []
    assert (status["status"], status["code"]) == ("cancelled", None)
    assert "the defence moved online" in status["note"]


def test_pass_categories_and_the_exit_quota_are_kept_from_the_api(office: Office) -> None:
    category = {"name": "visiting", "label": "访问学者 <b>", "max_days": 30, "gates": ["*"]}
    with office.web.client("admin") as admin:
        defined = admin.post("/api/v1/passes/categories", json=category)
        listed = admin.get("/api/v1/passes/categories").json()
        eased = {"exits": 2, "window_hours": 24, "reason": "eased by the office"}
        changed = admin.put("/api/v1/policy/exit-quota", json=eased)
        silly = admin.put("/api/v1/policy/exit-quota", json={**eased, "exits": 0})
        household = admin.get("/api/v1/households/H-12/quota").json()
        page = admin.get("/admin/everyday").text
    assert defined.status_code == 200, defined.text
    assert "visiting" in {c["name"] for c in listed}
    assert changed.status_code == 200, changed.text
    assert silly.status_code == 422
    assert (household["quota"], household["remaining"]) == ({"exits": 2, "window_hours": 24}, 2)
    assert "访问学者 &lt;b&gt;" in page
    assert office.actions("policy.change")[-1][0] == "admin"


def test_a_walkin_nobody_asks_about_is_refused_by_the_sweep(
    office: Office, web_clock: ShiftedClock
) -> None:
    with office.web.client("guard-n1") as guard:
        walkin_id = guard.post("/api/v1/gates/north-1/walkins", json=walkin()).json()[
            "appointment_id"
        ]
    web_clock.advance(timedelta(seconds=601))
    deadline = time.monotonic() + 10
    while not office.actions("appointment.expire"):
        assert time.monotonic() < deadline, "the sweep never refused the walk-in"
        time.sleep(0.05)
    assert office.actions("appointment.expire") == [("system", walkin_id)]


def test_the_form_page_counts_every_post_and_refuses_an_oversized_one(
    office: Office, web_clock: ShiftedClock
) -> None:
    with office.web.client() as visitor:
        token = re.search(r'name="form_token" value="([0-9a-f]+)"', visitor.get("/visit").text)
        assert token
        statuses = [
            visitor.post("/visit", data={"form_token": token[1], "visitor_name": "x"}).status_code
            for _ in range(25)
        ]
    web_clock.advance(timedelta(seconds=601))  # web.visitors.address_window_s: a new window
    with office.web.client() as other:
        huge = other.post("/visit", data={"purpose": "x" * 100_000})
    assert statuses == [422] * 20 + [429] * 5  # web.visitors.per_address
    assert huge.status_code == 413
    assert office.count(AppointmentRow) == 0


def test_a_unit_officer_sees_only_the_units_entries_of_today(office: Office, site: str) -> None:
    with Session(office.engine) as session:
        people = {p.unit: p.person_id for p in session.scalars(select(PersonRow))}
    with Session(office.engine) as session, session.begin():
        repo.insert_entries(session=session, records=[
            entry_for(site, "north-1", "admit", person_id=people[UNIT]),
            entry_for(site, "south-2", "admit", person_id=people[OTHER_UNIT]),
            entry_for(site, "north-1", "admit", person_id=people[UNIT], ago=timedelta(days=2)),
        ])  # fmt: skip
    with office.web.client("infoofficer-cs") as officer:
        entries = officer.get("/api/v1/unit/entries").json()
        people_seen = officer.get("/api/v1/unit/people").json()
    with office.web.client("approver-ph") as physics:
        theirs = physics.get("/api/v1/unit/entries").json()
    assert [(e["gate"], e["unit"]) for e in entries] == [("north-1", UNIT)]
    assert [(e["gate"], e["unit"]) for e in theirs] == [("south-2", OTHER_UNIT)]
    assert {p["unit"] for p in people_seen} == {UNIT}
    assert all("*" in p["person_id"] for p in people_seen)  # masked person ids
