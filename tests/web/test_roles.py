"""Every endpoint checks the role: each wrong role is refused (403), anonymous gets 401
(pages: a redirect to sign in), a guard sees and commands only its own gates.

The table below must name every route of the app: a new endpoint without a row fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from kernel.codes import new_key
from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import upgrade
from services.web.app import ROUTERS
from tests.fixtures.web import USERS, add_users, web_settings
from tests.fixtures.web_seed import Seeded, appointment_request, seed
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

ALL = frozenset(USERS)
GATE_VIEWERS = frozenset({"admin", "officer", "guard-n1", "auditor"})  # of north-1
OFFICE = frozenset({"admin", "officer", "auditor"})
COMMANDERS = frozenset({"admin", "officer"})
LANE = frozenset({"guard-n1"})  # at north-1
CASE_VIEWERS = frozenset({"admin", "officer", "nurse", "auditor"})
CLINIC = frozenset({"nurse"})
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"admin", "auditor"})
UNIT = frozenset({"approver-cs", "infoofficer-cs"})  # of Computer Science
DECIDE = frozenset({"approver-cs"})
CHECKIN_VIEWERS = CASE_VIEWERS | {"infoofficer-cs"}  # an officer: their own units only
CHECKIN_ENTRY = CLINIC | {"infoofficer-cs"}
SITE = "roles"


def new_appointment() -> dict[str, Any]:
    now = datetime.now(UTC)
    request = appointment_request(SITE, now, valid_until=now + timedelta(hours=2))
    body = request.model_dump(mode="json", exclude={"site"})
    return {**body, "id_number": request.id_number.get_secret_value()}


def new_pass() -> dict[str, Any]:
    body = new_appointment()
    return {
        "category": "duty",
        "holder_name": body["visitor_name"],
        "id_number": body["id_number"],
        "gates": ["*"],
        "valid_from": body["valid_from"],
        "valid_until": body["valid_until"],
    }


def new_person() -> dict[str, Any]:
    body = new_appointment()
    values = {"person_id": "W00001", "name": "王新", "kind": "staff",
              "id_number": body["id_number"]}  # fmt: skip
    return {"values": values, "reason": "joined today"}


def new_walkin() -> dict[str, Any]:
    body = new_appointment()
    return {
        "visitor_name": body["visitor_name"],
        "phone": body["phone"],
        "document_number": body["id_number"],
        "host_unit": body["host_unit"],
        "gate": "north-1",
    }


def visitor_endpoints() -> list[tuple[str, str, str, Any, frozenset[str]]]:
    """Issue 16: the unit page and its calls, walk-ins, officers, risk areas, decisions."""
    u, w = "/api/v1/unit/appointments", "/api/v1/gates/{gate}/walkins"
    officer, area = {"unit": "Physics", "officer": "x1"}, {"name": "Chaoyang <b>District</b>"}
    return [
        ("GET", u, u, None, UNIT),
        ("POST", u + "/{appointment_id}/approve", u + "/A-unknown/approve", {}, DECIDE),
        (
            "POST",
            u + "/{appointment_id}/refuse",
            u + "/A-unknown/refuse",
            {"reason": "no room"},
            DECIDE,
        ),
        ("GET", "/api/v1/unit/people", "/api/v1/unit/people", None, UNIT),
        ("GET", "/api/v1/unit/entries", "/api/v1/unit/entries", None, UNIT),
        ("GET", "/api/v1/units/officers", "/api/v1/units/officers", None, ADMIN),
        ("POST", "/api/v1/units/officers", "/api/v1/units/officers", officer, ADMIN),
        ("POST", "/api/v1/units/officers/remove", "/api/v1/units/officers/remove", officer, ADMIN),
        ("GET", "/api/v1/visitors/risk-areas", "/api/v1/visitors/risk-areas", None, ADMIN),
        ("POST", "/api/v1/visitors/risk-areas", "/api/v1/visitors/risk-areas", area, ADMIN),
        (
            "POST",
            "/api/v1/visitors/risk-areas/remove",
            "/api/v1/visitors/risk-areas/remove",
            {"name": "Chaoyang District"},
            ADMIN,
        ),
        ("GET", "/api/v1/appointments/decisions", "/api/v1/appointments/decisions", None, OFFICE),
        ("POST", w, "/api/v1/gates/north-1/walkins", new_walkin(), LANE),
        ("GET", w + "/{appointment_id}", "/api/v1/gates/north-1/walkins/A-unknown", None, LANE),
        ("GET", "/unit", "/unit", None, UNIT),
        ("GET", "/kiosk/{gate}/walkin", "/kiosk/north-1/walkin", None, LANE),
        ("GET", "/office/decisions", "/office/decisions", None, OFFICE),
        ("GET", "/admin/units", "/admin/units", None, ADMIN),
        ("GET", "/api/v1/vehicles/plates", "/api/v1/vehicles/plates", None, ADMIN),
        (
            "POST",
            "/api/v1/vehicles/plates",
            "/api/v1/vehicles/plates",
            {"plate": "京A12345"},
            ADMIN,
        ),
        (
            "POST",
            "/api/v1/vehicles/plates/remove",
            "/api/v1/vehicles/plates/remove",
            {"plate": "京A12345"},
            ADMIN,
        ),
        (
            "GET",
            "/api/v1/gates/{gate}/plates/{plate}",
            "/api/v1/gates/north-1/plates/京A12345",
            None,
            LANE,
        ),
        *everyday_endpoints(),
    ]


def everyday_endpoints() -> list[tuple[str, str, str, Any, frozenset[str]]]:
    """Issue 16, build 5: cancel, expected today, pass categories, the exit quota."""
    reason = {"reason": "visit called off"}
    quota = {"exits": 1, "window_hours": 48, "reason": "back to the usual quota"}
    u, a = "/api/v1/unit/appointments", "/api/v1/appointments"
    return [
        ("POST", u + "/{appointment_id}/cancel", u + "/A-unknown/cancel", reason, DECIDE),
        ("POST", a + "/{appointment_id}/cancel", a + "/A-unknown/cancel", reason, ADMIN),
        ("GET", "/api/v1/gates/{gate}/expected", "/api/v1/gates/north-1/expected", None,
         GATE_VIEWERS),
        ("POST", "/api/v1/passes/categories", "/api/v1/passes/categories",
         {"name": "visiting", "label": "Visiting scholars"}, ADMIN),
        ("GET", "/api/v1/households/{household}/quota", "/api/v1/households/H1/quota", None,
         ADMIN),
        ("PUT", "/api/v1/policy/exit-quota", "/api/v1/policy/exit-quota", quota, ADMIN),
        ("GET", "/admin/everyday", "/admin/everyday", None, ADMIN),
        ("POST", "/api/v1/unit/events", "/api/v1/unit/events", None, UNIT),
        ("POST", "/api/v1/unit/events/{batch}/approve",
         "/api/v1/unit/events/E-0000000000000000/approve", None, DECIDE),
    ]  # fmt: skip


def policy_editor_endpoints() -> list[tuple[str, str, str, Any, frozenset[str]]]:
    """Issue 18, build 4: the policy editor and the levels' forms (admins only)."""
    edit = {"policy": {"threshold": "37.4"}, "base_version": 0, "reason": "roles test"}
    level = {"level": {"threshold": "37.2"}, "base": "new", "reason": "roles test"}
    switch = {"level": "normal", "reason": "roles test"}
    lv = "/api/v1/policy/levels"
    return [
        ("POST", "/api/v1/policy/preview", "/api/v1/policy/preview", edit, ADMIN),
        ("PUT", "/api/v1/policy", "/api/v1/policy", edit, ADMIN),
        ("POST", "/api/v1/policy/level/preview", "/api/v1/policy/level/preview", switch, ADMIN),
        ("POST", lv + "/{name}/preview", lv + "/roles-1/preview", level, ADMIN),
        ("PUT", lv + "/{name}", lv + "/roles-1", level, ADMIN),
        ("GET", "/admin/policy/levels", "/admin/policy/levels", None, ADMIN),
    ]


def observe() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"place": "room", "room": "R1", "until": (now + timedelta(days=14)).isoformat()}


def endpoints(s: Seeded) -> list[tuple[str, str, str, Any, frozenset[str]]]:
    """(route method, route path, concrete URL, JSON body, roles allowed)."""
    g, c = "/api/v1/gates", f"/api/v1/cases/{s.case_id}"
    a, p, v = "/api/v1/audit", s.person_id, "/api/v1/appointments"
    r = "/api/v1/roster/persons"
    return [
        ("GET", "/api/v1/me", "/api/v1/me", None, ALL),
        ("PUT", "/api/v1/me/lang", "/api/v1/me/lang", {"lang": "en"}, ALL),
        ("GET", g, g, None, GATE_VIEWERS | {"guard-s2"}),
        ("GET", g + "/{gate}", g + "/north-1", None, GATE_VIEWERS),
        ("POST", g + "/{gate}/commands", g + "/north-1/commands", {"command": "sync"}, COMMANDERS),
        (
            "POST",
            g + "/{gate}/remeasure",
            g + "/north-1/remeasure",
            {"event_id": str(s.north_event), "celsius": "36.5"},
            LANE,
        ),
        (
            "POST",
            g + "/{gate}/no-mask",
            g + "/north-1/no-mask",
            {"event_id": str(s.north_event)},
            LANE,
        ),
        (
            "POST",
            g + "/{gate}/override",
            g + "/north-1/override",
            {"event_id": str(s.north_event), "reason": "checked by hand"},
            LANE,
        ),
        (
            "POST",
            g + "/{gate}/vehicle",
            g + "/north-1/vehicle",
            {"plate": "京A12345", "occupants": 3},
            LANE,
        ),
        ("GET", g + "/{gate}/lookup", g + "/north-1/lookup?q=2021", None, LANE),
        ("GET", g + "/{gate}/lookup/photo", g + "/north-1/lookup/photo?ref=x", None, LANE),
        (
            "POST",
            g + "/{gate}/manual-passage",
            g + "/north-1/manual-passage",
            {"ref": "not-a-ref", "celsius": "36.5"},
            LANE,
        ),
        (
            "POST",
            g + "/{gate}/symptoms",
            g + "/north-1/symptoms",
            {"event_id": str(s.north_event), "symptoms": ["cough"]},
            LANE,
        ),
        (
            "POST",
            g + "/{gate}/incidents",
            g + "/north-1/incidents",
            {"kind": "forced_entry", "note": "ran past"},
            LANE,
        ),
        ("GET", "/api/v1/incidents", "/api/v1/incidents", None, OFFICE),
        ("GET", "/api/v1/cases", "/api/v1/cases", None, CASE_VIEWERS),
        ("GET", "/api/v1/cases/{case_id}", c, None, CASE_VIEWERS),
        ("POST", "/api/v1/cases/{case_id}/acknowledge", c + "/acknowledge", None, CLINIC),
        (
            "POST",
            "/api/v1/cases/{case_id}/measurement",
            c + "/measurement",
            {"celsius": "37.0"},
            CLINIC,
        ),
        ("POST", "/api/v1/cases", "/api/v1/cases", {"person_id": s.person_id}, CLINIC),
        ("POST", "/api/v1/cases/many", "/api/v1/cases/many", {"person_ids": [p]}, CLINIC),
        ("POST", "/api/v1/cases/list", "/api/v1/cases/list", None, CLINIC),
        ("GET", "/api/v1/cases/{case_id}/contacts", c + "/contacts", None, CLINIC),
        ("POST", "/api/v1/cases/{case_id}/observe", c + "/observe", observe(), CLINIC),
        (
            "POST",
            "/api/v1/cases/{case_id}/refer",
            c + "/refer",
            {"hospital": "City Hospital", "transfer_at": datetime.now(UTC).isoformat()},
            CLINIC,
        ),
        ("POST", "/api/v1/cases/{case_id}/suspect", c + "/suspect", {}, CLINIC),
        ("POST", "/api/v1/cases/{case_id}/confirm", c + "/confirm", {}, CLINIC),
        ("POST", "/api/v1/cases/{case_id}/release", c + "/release", {"reason": "fine"}, CLINIC),
        (
            "POST",
            "/api/v1/cases/{case_id}/return",
            c + "/return",
            {"returned_on": "2026-12-31", "certificate": "CERT-1"},
            CLINIC,
        ),
        ("GET", "/api/v1/checkins", "/api/v1/checkins", None, CHECKIN_VIEWERS),
        ("GET", "/api/v1/checkins/missing", "/api/v1/checkins/missing", None, CHECKIN_VIEWERS),
        (
            "POST",
            "/api/v1/checkins",
            "/api/v1/checkins",
            {"person_id": s.unit_person, "slot": "morning", "celsius": "36.5"},
            CHECKIN_ENTRY,
        ),
        (
            "POST",
            "/api/v1/checkins/class",
            "/api/v1/checkins/class",
            {"slot": "noon", "entries": [{"person_id": s.unit_person, "celsius": "36.6"}]},
            CHECKIN_ENTRY,
        ),
        ("POST", "/api/v1/checkins/remind", "/api/v1/checkins/remind", None, CLINIC),
        ("GET", "/checkins", "/checkins", None, CHECKIN_VIEWERS),
        ("GET", "/api/v1/dashboard", "/api/v1/dashboard", None, OFFICE),
        ("GET", "/api/v1/users", "/api/v1/users", None, ADMIN),
        (
            "POST",
            "/api/v1/users",
            "/api/v1/users",
            {"username": "new-user", "password": "long-enough-1", "role": "auditor"},
            ADMIN,
        ),
        (
            "PUT",
            "/api/v1/users/{username}/active",
            "/api/v1/users/auditor/active",
            {"active": True},
            ADMIN,
        ),
        (
            "GET",
            "/api/v1/notifications/dead-letters",
            "/api/v1/notifications/dead-letters",
            None,
            ADMIN,
        ),
        (
            "POST",
            "/api/v1/notifications/dead-letters/{letter_id}/retry",
            f"/api/v1/notifications/dead-letters/{s.letter_id}/retry",
            None,
            ADMIN,
        ),
        ("GET", "/api/v1/live", "/api/v1/live?view=kiosk&gate=north-1", None, GATE_VIEWERS),
        ("GET", "/api/v1/live", "/api/v1/live?view=dashboard", None, OFFICE),
        ("GET", "/api/v1/live", "/api/v1/live?view=clinic", None, CASE_VIEWERS),
        ("GET", "/api/v1/live/stats", "/api/v1/live/stats", None, OFFICE),
        ("GET", "/kiosk", "/kiosk", None, GATE_VIEWERS | {"guard-s2"}),
        ("GET", "/kiosk/{gate}", "/kiosk/north-1", None, GATE_VIEWERS),
        ("GET", "/dashboard", "/dashboard", None, OFFICE),
        ("GET", "/clinic", "/clinic", None, CASE_VIEWERS),
        ("GET", "/admin/users", "/admin/users", None, ADMIN),
        ("GET", f"{a}/persons/{{person_id}}/history", f"{a}/persons/{p}/history", None, AUDIT),
        ("GET", f"{a}/persons/{{person_id}}/trace", f"{a}/persons/{p}/trace", None, AUDIT),
        ("GET", f"{a}/gates/{{gate}}/history", f"{a}/gates/north-1/history", None, AUDIT),
        ("GET", f"{a}/events/{{event_id}}", f"{a}/events/{s.north_event}", None, AUDIT),
        ("GET", "/api/v1/appointments", "/api/v1/appointments", None, ADMIN),
        ("POST", "/api/v1/appointments", "/api/v1/appointments", new_appointment(), ADMIN),
        ("POST", f"{v}/{{appointment_id}}/approve", f"{v}/{s.appointments[0]}/approve", {}, ADMIN),
        (
            "POST",
            f"{v}/{{appointment_id}}/refuse",
            f"{v}/{s.appointments[1]}/refuse",
            {"reason": "no room that day"},
            ADMIN,
        ),
        ("GET", f"{v}/approvers", f"{v}/approvers", None, ADMIN),
        ("POST", f"{v}/approvers", f"{v}/approvers", {"unit": "Physics", "approver": "x1"}, ADMIN),
        (
            "POST",
            f"{v}/approvers/remove",
            f"{v}/approvers/remove",
            {"unit": "Physics", "approver": "x1"},
            ADMIN,
        ),
        ("GET", "/api/v1/passes", "/api/v1/passes", None, ADMIN),
        ("GET", "/api/v1/passes/categories", "/api/v1/passes/categories", None, ADMIN),
        ("POST", "/api/v1/passes", "/api/v1/passes", new_pass(), ADMIN),
        (
            "POST",
            "/api/v1/passes/{pass_id}/revoke",
            "/api/v1/passes/P-unknown/revoke",
            {"reason": "card lost"},
            ADMIN,
        ),
        ("GET", "/admin/passes", "/admin/passes", None, ADMIN),
        ("POST", "/api/v1/roster/import", "/api/v1/roster/import", None, ADMIN),
        ("GET", "/admin/roster", "/admin/roster", None, ADMIN),
        ("POST", f"{r}", f"{r}", new_person(), ADMIN),
        ("GET", f"{r}/{{person_id}}", f"{r}/{p}", None, ADMIN),
        (
            "PATCH",
            f"{r}/{{person_id}}",
            f"{r}/{p}",
            {"values": {"dormitory": "7-203"}, "reason": "moved"},
            ADMIN,
        ),
        ("POST", f"{r}/{{person_id}}/deactivate", f"{r}/{p}/deactivate", {"reason": "t"}, ADMIN),
        ("POST", f"{r}/{{person_id}}/reactivate", f"{r}/{p}/reactivate", {"reason": "t"}, ADMIN),
        ("PUT", f"{r}/{{person_id}}/photo", f"{r}/{p}/photo", None, ADMIN),
        ("GET", f"{r}/{{person_id}}/photo", f"{r}/{p}/photo", None, ADMIN),
        ("POST", "/api/v1/roster/cards", "/api/v1/roster/cards", {"unit": "Physics"}, ADMIN),
        ("GET", "/api/v1/policy", "/api/v1/policy", None, ADMIN),
        (
            "POST",
            "/api/v1/policy/level",
            "/api/v1/policy/level",
            {"level": "elevated", "reason": "cases in the district"},
            ADMIN,
        ),
        ("GET", "/admin/appointments", "/admin/appointments", None, ADMIN),
        ("GET", "/admin/policy", "/admin/policy", None, ADMIN),
        *policy_editor_endpoints(),
        ("GET", "/api/v1/reports/daily", "/api/v1/reports/daily", None, OFFICE),
        ("GET", "/api/v1/reports/clinic", "/api/v1/reports/clinic", None, OFFICE | CLINIC),
        ("GET", "/clinic/report", "/clinic/report", None, OFFICE | CLINIC),
        ("GET", "/reports", "/reports", None, OFFICE),
        ("GET", f"{a}/log", f"{a}/log", None, AUDIT),
        ("GET", "/audit/log", "/audit/log", None, AUDIT),
        ("GET", "/audit", "/audit", None, AUDIT),
        ("GET", "/audit/person", f"/audit/person?person_id={p}", None, AUDIT),
        ("GET", "/audit/gate", "/audit/gate?gate=north-1", None, AUDIT),
        ("GET", "/audit/trace", f"/audit/trace?person_id={p}", None, AUDIT),
        ("GET", "/audit/events/{event_id}", f"/audit/events/{s.north_event}", None, AUDIT),
        *visitor_endpoints(),
    ]


# Routes open to everyone (signing in and out), tested in test_auth.py.
PUBLIC = {
    # A person's own pages (no staff login: a link, a PIN, a cookie of their own), tested
    # in test_mycode.py, staff sessions and forged cookies included.
    ("GET", "/me"),
    ("POST", "/me/login"),
    ("POST", "/me/logout"),
    ("GET", "/me/enrol/{token}"),
    ("POST", "/me/enrol/{token}"),
    ("GET", "/me/code"),
    ("POST", "/me/checkin"),  # tests/web/test_mycode_checkin.py
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    # Probes for a load balancer (tests/ops/test_health.py): terse, nobody's data.
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    # A visitor's own request and its status link (tests/web/test_visitors.py).
    ("GET", "/visit"),
    ("POST", "/visit"),
    ("GET", "/visit/status/{token}"),
    ("GET", "/api/v1/visit/units"),
    ("POST", "/api/v1/visit"),
    ("GET", "/api/v1/visit/{token}"),
}


@pytest.fixture(scope="module")
def server(broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = Path(tmp_path_factory.mktemp("roles"))
    url = f"sqlite:///{folder / 'roles.db'}"
    upgrade(url)
    add_users(url)
    new_key(folder / "keys")
    web = WebServer(web_settings(broker, url, SITE, keys_dir=str(folder / "keys"))).start()
    web.seeded = seed(url, SITE)  # type: ignore[attr-defined]
    yield web
    web.stop()


@pytest.fixture(scope="module")
def clients(server: WebServer) -> Iterator[dict[str, httpx.Client]]:
    signed_in = {name: server.client(name) for name in USERS}
    yield signed_in
    for client in signed_in.values():
        client.close()


def call(client: httpx.Client, method: str, url: str, body: Any) -> int:
    if "/api/v1/live?" in url:  # an event stream: the status is all we need
        with client.stream(method, url) as response:
            return response.status_code
    return client.request(method, url, json=body).status_code


def test_the_table_names_every_route(server: WebServer) -> None:
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    named = {(m, p) for m, p, _url, _body, _roles in endpoints(server.seeded)}  # type: ignore[attr-defined]
    assert routes - PUBLIC == named


@pytest.mark.parametrize("role", sorted(USERS))
def test_each_endpoint_refuses_each_wrong_role(
    server: WebServer, clients: dict[str, httpx.Client], role: str
) -> None:
    refused, allowed = [], []
    for method, _path, url, body, roles in endpoints(server.seeded):  # type: ignore[attr-defined]
        status = call(clients[role], method, url, body)
        if role in roles:
            allowed.append((url, status))
            assert status not in (401, 403), f"{role} was refused {method} {url}: {status}"
        else:
            refused.append(url)
            assert status == 403, f"{role} got {status} from {method} {url}, expected 403"
    # The table must test both sides of every role: something allowed, and (but for the
    # administrator) something refused; a table that lets a role do everything checks no
    # refusal of it, one that names it nowhere checks nothing it may do.
    assert allowed, f"the table allows {role} nothing"
    assert refused or role == "admin", f"the table refuses {role} nothing: no refusal is checked"


def test_anonymous_gets_401_from_the_api_and_the_sign_in_page_from_pages(server: WebServer) -> None:
    with server.client() as anonymous:
        for method, _path, url, body, _roles in endpoints(server.seeded):  # type: ignore[attr-defined]
            status = call(anonymous, method, url, body)
            expected = 401 if url.startswith("/api/") else 303
            assert status == expected, f"anonymous {method} {url}: {status}"
        page = anonymous.get("/kiosk/north-1")
        assert page.headers["location"] == "/login?next=/kiosk/north-1"


GATE_URLS = [
    ("GET", "/api/v1/gates/{gate}", None),
    ("POST", "/api/v1/gates/{gate}/symptoms", "symptoms"),
    ("POST", "/api/v1/gates/{gate}/incidents", "incidents"),
    ("POST", "/api/v1/gates/{gate}/remeasure", "remeasure"),
    ("POST", "/api/v1/gates/{gate}/no-mask", "no-mask"),
    ("POST", "/api/v1/gates/{gate}/override", "override"),
    ("POST", "/api/v1/gates/{gate}/vehicle", "vehicle"),
    ("GET", "/api/v1/live?view=kiosk&gate={gate}", None),
    ("GET", "/kiosk/{gate}", None),
]


@pytest.mark.parametrize(("method", "template", "action"), GATE_URLS)
def test_a_guard_of_north_1_cannot_see_or_command_south_2(
    server: WebServer,
    clients: dict[str, httpx.Client],
    method: str,
    template: str,
    action: str | None,
) -> None:
    seeded: Seeded = server.seeded  # type: ignore[attr-defined]
    for guard, own, other, event in (
        ("guard-n1", "north-1", "south-2", seeded.north_event),
        ("guard-s2", "south-2", "north-1", seeded.south_event),
    ):
        body: dict[str, Any] = {"event_id": str(event)}
        if action == "remeasure":
            body["celsius"] = "36.5"
        if action == "override":
            body["reason"] = "checked by hand"
        if action == "vehicle":
            body = {"plate": "京A12345", "occupants": 2}
        if action == "symptoms":
            body["symptoms"] = ["cough", "sore_throat"]
        if action == "incidents":
            body = {"kind": "refused_instructions", "note": "would not stop"}
        client = clients[guard]
        refused = (
            client.request(method, template.format(gate=other), json=body)
            if "live" not in template
            else client.get(template.format(gate=other))
        )
        assert refused.status_code == 403
        if template.startswith("/api/"):
            assert refused.json()["error"] == "forbidden_gate"
        assert call(client, method, template.format(gate=own), body) not in (401, 403)


def test_a_guard_lists_only_its_own_gates(clients: dict[str, httpx.Client]) -> None:
    gates = clients["guard-n1"].get("/api/v1/gates").json()
    assert [g["gate"] for g in gates] == ["north-1"]
    everything = clients["officer"].get("/api/v1/gates").json()
    assert {"north-1", "north-2", "south-2"} <= {g["gate"] for g in everything}
