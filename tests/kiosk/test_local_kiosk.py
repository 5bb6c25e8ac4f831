"""The gate's local kiosk attacked over real HTTP (issue 20): anonymous, another gate's
guard, forged forms and hostile bodies, password guessing; and the guard's actions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from argon2 import PasswordHasher

from gateway.kiosk.bind import parse_bind
from kernel.errors import ConfigError
from schemas.messages import Decision, DecisionPerson
from schemas.snapshot import SnapshotGuard
from tests.fixtures.local_kiosk import RecordingLane, StartKiosk, csrf_of, sign_in

PASSWORD = "gate-guard-password-1"
OTHER_GATES_PASSWORD = "south-guard-password-2"


@pytest.fixture(scope="module")
def guards() -> list[SnapshotGuard]:
    hasher = PasswordHasher()
    return [SnapshotGuard(username="guard-n1", password_hash=hasher.hash(PASSWORD))]


def test_a_guard_signs_in_and_the_actions_reach_the_lane(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    recorder = RecordingLane()
    server = start_kiosk(guards=guards, recorder=recorder)
    client, status = sign_in(server, "guard-n1", PASSWORD)
    assert status == 303
    cookie = client.cookies.jar
    assert any(c.name == "cg_gate_session" and c.has_nonstandard_attr("HttpOnly") for c in cookie)
    token = csrf_of(client)
    event = str(uuid.uuid4())
    for action, body in (
        ("remeasure", {"event_id": event, "celsius": "36.4"}),
        ("no-mask", {"event_id": event}),
        ("handheld", {"celsius": 37.8}),
        ("screening", {"choice": "handheld"}),
        ("vehicle", {"plate": "京A12345", "occupants": 3}),
        ("override", {"event_id": event, "reason": "  ambulance crew, ID checked  "}),
    ):
        answer = client.post(
            f"/api/v1/gates/north-1/{action}", json=body, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 200, (action, answer.text)
    assert recorder.calls == [
        ("remeasure", (uuid.UUID(event), Decimal("36.4"))),
        ("no_mask", (uuid.UUID(event),)),
        ("handheld", (Decimal("37.8"),)),
        ("screening", ("handheld",)),
        ("vehicle", ("京A12345", 3)),
        # The guard's name comes from the session, never from the body.
        ("override", (uuid.UUID(event), "ambulance crew, ID checked", "guard-n1")),
    ]
    switched = client.put("/api/v1/me/lang", json={"lang": "en"}, headers={"X-CSRF-Token": token})
    assert switched.status_code == 200
    page = client.get("/kiosk/north-1")
    assert '<html lang="en">' in page.text
    assert "Handheld reading" in page.text
    assert 'id="handheld-form"' in page.text
    assert 'id="override-form"' in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_a_fever_is_never_overridden_at_the_gate(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    recorder = RecordingLane()
    fever = uuid.uuid4()
    recorder.fevers.add(fever)
    server = start_kiosk(guards=guards, recorder=recorder)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    body = {"event_id": str(fever), "reason": "he says he feels fine", "by": "admin"}
    answer = client.post(
        "/api/v1/gates/north-1/override", json=body, headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "isolate_not_overridable")
    assert recorder.calls == []


def test_another_gates_guard_cannot_sign_in_here(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server = start_kiosk(guards=guards)
    # guard-s2's credentials are not in north-1's snapshot: however right, they fail.
    _client, status = sign_in(server, "guard-s2", OTHER_GATES_PASSWORD)
    assert status == 401
    _client, status = sign_in(server, "guard-n1", OTHER_GATES_PASSWORD)
    assert status == 401


def test_anonymous_gets_nothing(start_kiosk: StartKiosk, guards: list[SnapshotGuard]) -> None:
    recorder = RecordingLane()
    server = start_kiosk(guards=guards, recorder=recorder)
    with httpx.Client(base_url=server.url, timeout=10.0) as anonymous:
        assert anonymous.get("/kiosk/north-1").headers["location"] == "/login"
        assert anonymous.get("/").headers["location"] == "/login"
        assert anonymous.get("/api/v1/live").status_code == 401
        answer = anonymous.post("/api/v1/gates/north-1/handheld", json={"celsius": "36.6"})
        assert (answer.status_code, answer.json()["error"]) == (401, "not_authenticated")
        assert anonymous.get("/static/../../gateway/kiosk/guards.py").status_code == 404
        assert anonymous.get("/static/js/kiosk.js").status_code == 200
    assert recorder.calls == []


def test_forged_forms_and_calls_are_refused(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    recorder = RecordingLane()
    server = start_kiosk(guards=guards, recorder=recorder)
    with httpx.Client(base_url=server.url, timeout=10.0) as forger:
        # A login form posted from elsewhere: no nonce cookie, no token.
        form = {"csrf_token": "0" * 64, "username": "guard-n1", "password": PASSWORD}
        assert forger.post("/login", data=form).status_code == 400
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    token = csrf_of(client)
    body = {"celsius": "36.6"}
    missing = client.post("/api/v1/gates/north-1/handheld", json=body)
    wrong = client.post(
        "/api/v1/gates/north-1/handheld", json=body, headers={"X-CSRF-Token": token[::-1]}
    )
    assert [(r.status_code, r.json()["error"]) for r in (missing, wrong)] == [
        (403, "bad_csrf"),
        (403, "bad_csrf"),
    ]
    other_gate = client.post(
        "/api/v1/gates/south-2/handheld", json=body, headers={"X-CSRF-Token": token}
    )
    assert (other_gate.status_code, other_gate.json()["error"]) == (403, "forbidden_gate")
    assert client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("handheld", {"celsius": "NaN"}),
        ("handheld", {"celsius": "1e999"}),
        ("handheld", {"celsius": True}),
        ("handheld", {"celsius": ["36.6"]}),
        ("remeasure", {"event_id": "<script>alert(1)</script>", "celsius": "36.6"}),
        ("vehicle", {"plate": "A\u0000B", "occupants": 2}),
        ("vehicle", {"plate": "X" * 5000, "occupants": 2}),
        ("vehicle", {"plate": "A1", "occupants": 10**9}),
        ("screening", {"choice": "off; rm -rf /"}),
        ("override", {"event_id": str(uuid.UUID(int=1)), "reason": "x"}),
    ],
)
def test_hostile_bodies_are_refused_and_reach_nothing(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard], action: str, body: object
) -> None:
    recorder = RecordingLane()
    server = start_kiosk(guards=guards, recorder=recorder)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    answer = client.post(
        f"/api/v1/gates/north-1/{action}", json=body, headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert answer.status_code in (404, 422), answer.text
    assert recorder.calls == []


def test_bombs_and_junk_are_refused(start_kiosk: StartKiosk, guards: list[SnapshotGuard]) -> None:
    server = start_kiosk(guards=guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    headers = {"X-CSRF-Token": csrf_of(client), "Content-Type": "application/json"}
    url = "/api/v1/gates/north-1/handheld"
    assert client.post(url, content=b"[" * 100_000, headers=headers).status_code == 422
    assert client.post(url, content=b"\xff\xfe", headers=headers).status_code == 422
    assert client.post(url, content=b"[1, 2]", headers=headers).status_code == 422
    junk_cookie = client.get("/kiosk/north-1", headers={"Cookie": "cg_gate_session=\x01;;"})
    assert junk_cookie.status_code == 303


def test_password_guessing_is_cut_off_even_for_the_right_password(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server = start_kiosk(guards=guards)
    for _ in range(5):
        assert sign_in(server, "guard-n1", "guess")[1] == 401
    _client, status = sign_in(server, "guard-n1", PASSWORD)
    assert status == 429


def test_hostile_names_stay_text_in_the_page(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server = start_kiosk(guards=guards)
    hostile = "</script><script>alert(1)</script><!--<script>"
    decision = Decision(
        event_id=uuid.uuid4(),
        gate="north-1",
        decision="deny",
        reasons=["not_whitelisted"],
        person=DecisionPerson(id="p-1", name=hostile, kind="visitor", masked_id="****1234"),
        policy_version=1,
        decided_at=datetime.now(UTC),
    )
    server.feed.decision(decision, None)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    page = client.get("/kiosk/north-1").text
    assert hostile not in page
    assert "<script>alert(1)" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page  # kept, as JSON escapes
    assert '"id":"p-1"' not in page.replace(" ", "")  # a guard's view masks person ids


def test_the_kiosk_binds_to_this_machine_unless_told() -> None:
    assert parse_bind("8080") == ("127.0.0.1", 8080)
    assert parse_bind("0.0.0.0:8080") == ("0.0.0.0", 8080)  # noqa: S104 - what --kiosk says
    for bad in ("", "host:", "host:http", "1.2.3.4:70000"):
        with pytest.raises(ConfigError, match="HOST:PORT"):
            parse_bind(bad)
