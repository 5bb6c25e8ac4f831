"""Administration pages and API: visitor appointments (who approves is responsible) and the
epidemic response level switched in one action."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.appointments import add_approver, request_appointment
from services.identity import DEMO_KEY, IdHasher
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow
from services.web.auth.roles import Role
from services.web.auth.service import create_user
from tests.fixtures.browser import SCREENSHOTS, sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.roster import GOOD
from tests.fixtures.web_seed import UNIT, appointment_request
from tests.fixtures.web_server import PASSWORD, WebServer

pytestmark = pytest.mark.mqtt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Office:
    """The web server with signing keys, "admin" approving for UNIT, "admin2" approving nothing."""

    def __init__(self, web: WebServer, db_url: str, site: str) -> None:
        self.web, self.site = web, site
        self.engine = make_engine(db_url)
        now = datetime.now(UTC)
        with self.session() as session, session.begin():
            add_approver(session=session, unit=UNIT, approver="admin", by="test", now=now)
            create_user(session=session, username="admin2", password=PASSWORD, role=Role.ADMIN,
                        gates=frozenset(), lang="en", now=now)  # fmt: skip

    def session(self) -> Session:
        return Session(self.engine)

    def requested(self) -> str:
        now = datetime.now(UTC)
        with self.session() as session, session.begin():
            made = request_appointment(
                session=session,
                request=appointment_request(self.site, now),
                hasher=IdHasher(DEMO_KEY),
                by="admin",
                now=now,
            )
        return made.appointment_id

    def actions(self) -> list[tuple[str, str, str]]:
        with self.session() as session:
            rows = session.scalars(select(AuditLogRow).order_by(AuditLogRow.id))
            return [(r.actor, r.action, r.target) for r in rows]


@pytest.fixture
def office(
    make_server: Callable[..., WebServer], users: str, campus: Campus, site: str
) -> Iterator[Office]:
    web = make_server(users, keys_dir=str(campus.keys_dir))
    office = Office(web, users, site)
    yield office
    office.engine.dispose()


def form(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "visitor_name": "Wang Visitor",
        "phone": "13900001111",
        "id_number": GOOD[1],
        "host_unit": UNIT,
        "purpose": "thesis defence",
        "gates": ["north-1"],
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(hours=3)).isoformat(),
    }
    body.update(changes)
    return body


def test_a_request_is_listed_masked_and_approved_by_the_units_approver(office: Office) -> None:
    with office.web.client("admin") as admin:
        made = admin.post("/api/v1/appointments", json=form())
        assert made.status_code == 201, made.text
        appointment_id = made.json()["appointment_id"]
        assert made.json()["masked_id"].endswith(GOOD[1][-4:])
        assert GOOD[1] not in made.text
        listed = admin.get("/api/v1/appointments", params={"status": "requested"}).json()
        assert [a["appointment_id"] for a in listed] == [appointment_id]
        approved = admin.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["appointment"]["status"] == "approved"
        assert body["appointment"]["decided_by"] == "admin"
        assert body["code"].startswith("CG1.")
        assert base64.b64decode(body["qr_png"]).startswith(PNG_MAGIC)
        again = admin.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
    assert (again.status_code, again.json()["error"]) == (403, "refused")
    assert ("admin", "appointment.approve", appointment_id) in office.actions()


def test_a_non_approver_is_refused_and_the_request_stays_open(office: Office) -> None:
    appointment_id = office.requested()
    with office.web.client("admin2") as other:
        approve = other.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
        refuse = other.post(
            f"/api/v1/appointments/{appointment_id}/refuse", json={"reason": "not my call"}
        )
        [still] = [
            a for a in other.get("/api/v1/appointments").json()
            if a["appointment_id"] == appointment_id
        ]  # fmt: skip
    assert (approve.status_code, approve.json()["error"]) == (403, "refused")
    assert (refuse.status_code, refuse.json()["error"]) == (403, "refused")
    assert still["status"] == "requested"
    assert not [a for a in office.actions() if a[0] == "admin2" and a[2] == appointment_id]


def test_an_approver_added_from_the_page_may_then_decide(office: Office) -> None:
    appointment_id = office.requested()
    body = {"unit": UNIT, "approver": "admin2"}
    with office.web.client("admin") as admin:
        added = admin.post("/api/v1/appointments/approvers", json=body)
        listed = admin.get("/api/v1/appointments/approvers").json()
    with office.web.client("admin2") as other:
        approved = other.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
    with office.web.client("admin") as admin:
        removed = admin.post("/api/v1/appointments/approvers/remove", json=body)
        again = admin.post("/api/v1/appointments/approvers/remove", json=body)
    assert added.status_code == 201
    assert body in listed
    assert approved.status_code == 200, approved.text
    assert approved.json()["appointment"]["decided_by"] == "admin2"
    assert removed.status_code == 204
    assert again.status_code == 404


def test_a_refusal_needs_a_reason_and_is_recorded(office: Office) -> None:
    appointment_id = office.requested()
    with office.web.client("admin") as admin:
        bare = admin.post(f"/api/v1/appointments/{appointment_id}/refuse", json={"reason": ""})
        refused = admin.post(
            f"/api/v1/appointments/{appointment_id}/refuse", json={"reason": "building closed"}
        )
        late = admin.post(f"/api/v1/appointments/{appointment_id}/approve", json={})
    assert bare.status_code == 422
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"
    assert refused.json()["decision_note"] == "building closed"
    assert late.status_code == 403


def pass_form(**changes: Any) -> dict[str, Any]:
    body = form()
    fields = {k: body[k] for k in ("phone", "id_number", "valid_from", "valid_until")}
    return {"category": "duty", "holder_name": "Night Porter", "gates": ["*"], **fields, **changes}


def test_a_pass_is_issued_with_its_qr_listed_and_revoked_once(office: Office) -> None:
    with office.web.client("admin") as admin:
        categories = {c["name"] for c in admin.get("/api/v1/passes/categories").json()}
        issued = admin.post("/api/v1/passes", json=pass_form())
        assert issued.status_code == 201, issued.text
        pass_id = issued.json()["temp_pass"]["pass_id"]
        assert base64.b64decode(issued.json()["qr_png"]).startswith(PNG_MAGIC)
        [listed] = admin.get("/api/v1/passes").json()
        revoked = admin.post(f"/api/v1/passes/{pass_id}/revoke", json={"reason": "card lost"})
        again = admin.post(f"/api/v1/passes/{pass_id}/revoke", json={"reason": "card lost"})
        unknown = admin.post("/api/v1/passes/P-nothing/revoke", json={"reason": "card lost"})
    assert {"duty", "business", "medical"} <= categories
    assert (listed["pass_id"], listed["state"]) == (pass_id, "active")
    assert revoked.json()["state"] == "revoked"
    assert (again.status_code, again.json()["error"]) == (403, "refused")
    assert unknown.status_code == 404
    assert ("admin", "pass.revoke", pass_id) in office.actions()


def test_a_pass_beyond_its_categorys_limits_is_refused(office: Office) -> None:
    now = datetime.now(UTC)
    too_long = (now + timedelta(days=3)).isoformat()  # medical: one day at most
    with office.web.client("admin") as admin:
        long = admin.post("/api/v1/passes", json=pass_form(category="medical",
                                                           valid_until=too_long))  # fmt: skip
        unknown = admin.post("/api/v1/passes", json=pass_form(category="nosuch"))
    assert (long.status_code, long.json()["error"]) == (403, "refused")
    assert (unknown.status_code, unknown.json()["error"]) == (422, "invalid_input")
    assert "nosuch" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"id_number": GOOD[1][:-1] + ("0" if GOOD[1][-1] != "0" else "1")}, 422),  # check digit
        ({"valid_until": datetime(2020, 1, 1, tzinfo=UTC).isoformat()}, 422),  # ends before
        ({"valid_from": "2026-01-01T10:00:00"}, 422),  # no time zone
        ({"valid_until": "9999-12-31T23:59:59-23:59"}, 422),  # past year 9999 in UTC
        ({"phone": "call me"}, 422),
        ({"gates": []}, 422),
        ({"extra": 1}, 422),
    ],
)
def test_bad_requests_are_refused_with_a_reason(
    office: Office, changes: dict[str, Any], status: int
) -> None:
    with office.web.client("admin") as admin:
        response = admin.post("/api/v1/appointments", json=form(**changes))
    assert response.status_code == status, response.text
    assert not [a for a in office.actions() if a[1] == "appointment.request"]


def test_unknown_appointments_and_levels_are_404(office: Office) -> None:
    with office.web.client("admin") as admin:
        missing = admin.post("/api/v1/appointments/A-does-not-exist/approve", json={})
        level = admin.post(
            "/api/v1/policy/level", json={"level": "panic", "reason": "no such level"}
        )
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (level.status_code, level.json()["error"]) == (404, "not_found")


def test_the_response_level_is_switched_in_one_action_with_who_and_why(office: Office) -> None:
    with office.web.client("admin") as admin:
        before = admin.get("/api/v1/policy").json()
        switched = admin.post(
            "/api/v1/policy/level", json={"level": "elevated", "reason": "cases in the district"}
        )
        after = admin.get("/api/v1/policy").json()
        short = admin.post("/api/v1/policy/level", json={"level": "normal", "reason": "ok"})
    assert {"normal", "elevated", "lockdown"} <= {lvl["name"] for lvl in before["levels"]}
    assert switched.status_code == 200, switched.text
    version = switched.json()
    assert (version["level"], version["changed_by"], version["reason"]) == (
        "elevated",
        "admin",
        "cases in the district",
    )
    assert version["policy"]["health_code_required"] is True
    assert after["current"]["version"] == version["version"]
    assert short.status_code == 422  # a reason of four characters at least


def test_the_admin_approves_an_appointment_and_switches_the_level(
    office: Office, new_page: Any
) -> None:
    appointment_id = office.requested()
    page = new_page()
    sign_in(page, office.web, "admin", then="/admin/appointments", live=False)
    page.click(f"button.approve[data-id='{appointment_id}']")
    page.wait_for_selector("#visitor-code:not(.hidden)")
    assert page.evaluate("document.getElementById('visitor-qr').naturalWidth") > 0
    row = page.locator(f"tr[data-id='{appointment_id}']")
    assert "approved" in row.inner_text()
    assert row.locator(".decided-by").inner_text() == "admin"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-appointments.png"), full_page=True)
    page.goto(f"{office.web.url}/admin/policy")
    page.select_option("#level-select", "lockdown")
    page.fill("#level-reason", "two cases on campus")
    page.click("#level-preview")
    page.wait_for_selector("#level-diff:not(.hidden)")
    assert page.locator("#level-overrides").is_hidden()  # nothing was set by hand
    page.click("#level-switch")
    page.wait_for_selector("#level-result.ok")
    page.locator("#policy-level", has_text=re.compile(r"^lockdown$")).wait_for()  # reloaded
    page.screenshot(path=str(SCREENSHOTS / "admin-policy.png"), full_page=True)
    actions = office.actions()
    assert ("admin", "appointment.approve", appointment_id) in actions
    assert ("admin", "policy.level_switch") in {(a[0], a[1]) for a in actions}
