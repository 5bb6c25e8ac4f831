"""Sign-in, sessions, CSRF and rate limiting against the real server; settings; the CLI."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cli.main import main
from services.storage.engine import make_engine
from services.storage.web_models import WebUserRow
from services.web.settings import WebServerSettings
from tests.fixtures.web_server import PASSWORD, ShiftedClock, WebServer

pytestmark = pytest.mark.mqtt


@pytest.fixture
def login_form(web: WebServer) -> Iterator[Callable[..., tuple[httpx.Client, httpx.Response]]]:
    """``login_form(user, password, next)`` -> (client, response) of the sign-in form."""
    opened: list[httpx.Client] = []

    def submit(
        username: str, password: str, next_path: str = ""
    ) -> tuple[httpx.Client, httpx.Response]:
        client = httpx.Client(base_url=web.url, timeout=10, headers={"Accept-Language": "en"})
        opened.append(client)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        form = {
            "username": username,
            "password": password,
            "csrf_token": token.group(1),
            "next": next_path,
        }
        return client, client.post("/login", data=form)

    yield submit
    for client in opened:
        client.close()


Form = Callable[..., tuple[httpx.Client, httpx.Response]]


def test_sign_in_by_form_sets_a_strict_http_only_cookie(login_form: Form) -> None:
    client, response = login_form("guard-n1", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/kiosk/north-1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cg_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert client.get("/kiosk/north-1").status_code == 200
    # Security headers on every response: no inline script, no framing.
    page = client.get("/kiosk/north-1")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_wrong_password_and_a_missing_csrf_token_are_refused(
    web: WebServer, login_form: Form
) -> None:
    _client, wrong = login_form("guard-n1", "not-the-password")
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text
    with web.client() as client:
        client.get("/login")
        forged = client.post(
            "/login", data={"username": "guard-n1", "password": PASSWORD, "csrf_token": "x"}
        )
        assert forged.status_code == 403
        assert "cg_session" not in forged.headers.get("set-cookie", "")


def test_an_open_redirect_is_not_followed(login_form: Form) -> None:
    _client, response = login_form("officer", PASSWORD, next_path="//evil.example/")
    assert response.headers["location"] == "/dashboard"
    _client, response = login_form("officer", PASSWORD, next_path="/clinic")
    assert response.headers["location"] == "/clinic"


def test_every_post_needs_the_csrf_token(web: WebServer) -> None:
    with web.client("officer") as client:
        token = client.headers.pop("X-CSRF-Token")
        body = {"command": "sync"}
        missing = client.post("/api/v1/gates/north-1/commands", json=body)
        assert (missing.status_code, missing.json()["error"]) == (403, "bad_csrf")
        wrong = client.post(
            "/api/v1/gates/north-1/commands", json=body, headers={"X-CSRF-Token": token[::-1]}
        )
        assert wrong.status_code == 403
        right = client.post(
            "/api/v1/gates/north-1/commands", json=body, headers={"X-CSRF-Token": token}
        )
        assert right.status_code == 200
        nul = {"command": "sync", "reason": "drill\x00"}  # text with control bytes: refused
        refused = client.post(
            "/api/v1/gates/north-1/commands", json=nul, headers={"X-CSRF-Token": token}
        )
        assert refused.status_code == 422
        # Logging out by form needs it too.
        assert client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
        assert client.get("/api/v1/me").status_code == 200
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/api/v1/me").status_code == 401


def test_the_api_sign_in_takes_json_only(web: WebServer) -> None:
    with web.client() as client:
        form = client.post("/api/v1/session", data={"username": "admin", "password": PASSWORD})
        assert form.status_code == 422
        plain = client.post(
            "/api/v1/session",
            content=b'{"username":"admin","password":"x"}',
            headers={"Content-Type": "text/plain"},
        )
        assert plain.status_code == 422


def test_failed_sign_ins_are_rate_limited_per_user_and_per_address(
    make_server: Callable[..., WebServer], users: str, clock: ShiftedClock
) -> None:
    web = make_server(users, clock=clock, login_max_failures_remote=8)
    with web.client() as client:

        def attempt(name: str, password: str = "wrong-password") -> int:
            # From new browsers each time: a known device is counted apart (test_login_limits).
            client.cookies.clear()
            return client.post(
                "/api/v1/session", json={"username": name, "password": password}
            ).status_code

        assert [attempt("nurse") for _ in range(5)] == [401] * 5
        limited = client.post("/api/v1/session", json={"username": "nurse", "password": PASSWORD})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) == 15 * 60
        assert attempt("officer", PASSWORD) == 200  # others are not locked out ...
        assert attempt("officer") == 401
        assert attempt("officer") == 401
        assert attempt("auditor") == 401  # ... until this address has failed 8 times
        assert attempt("admin", PASSWORD) == 429
        clock.advance(timedelta(minutes=16))
        assert attempt("nurse", PASSWORD) == 200
        assert attempt("nurse") == 401  # the success reset the user's count
        assert attempt("nurse", PASSWORD) == 200


def test_sessions_end_when_they_expire_and_when_the_user_is_disabled(
    web: WebServer, clock: ShiftedClock
) -> None:
    with web.client("guard-n1") as guard, web.client("admin") as admin:
        assert guard.get("/api/v1/me").json()["gates"] == ["north-1"]
        assert admin.put("/api/v1/users/guard-n1/active", json={"active": False}).status_code == 204
        assert guard.get("/api/v1/me").status_code == 401
        with web.client() as anyone:
            again = anyone.post(
                "/api/v1/session", json={"username": "guard-n1", "password": PASSWORD}
            )
            assert again.status_code == 401
        assert admin.put("/api/v1/users/guard-n1/active", json={"active": True}).status_code == 204
    with web.client("guard-n1") as guard:
        clock.advance(timedelta(seconds=web.settings.web.session_ttl_s + 1))
        assert guard.get("/api/v1/me").status_code == 401
        assert guard.get("/kiosk/north-1").status_code == 303


def test_users_are_added_with_argon2_hashes_and_checked(web: WebServer, users: str) -> None:
    with web.client("admin") as admin:
        added = admin.post(
            "/api/v1/users",
            json={
                "username": "guard-e1",
                "password": "long-enough-1",
                "role": "guard",
                "gates": ["east-1"],
                "lang": "en",
            },
        )
        assert added.status_code == 201
        again = admin.post(
            "/api/v1/users",
            json={"username": "guard-e1", "password": "long-enough-1", "role": "auditor"},
        )
        assert (again.status_code, again.json()["error"]) == (409, "user_exists")
        no_gate = admin.post(
            "/api/v1/users",
            json={"username": "guard-x", "password": "long-enough-1", "role": "guard"},
        )
        assert (no_gate.status_code, no_gate.json()["error"]) == (422, "guard_needs_gates")
        gated = admin.post(
            "/api/v1/users",
            json={
                "username": "nurse-2",
                "password": "long-enough-1",
                "role": "clinic",
                "gates": ["east-1"],
            },
        )
        assert gated.json()["error"] == "gates_for_guards_only"
    engine = make_engine(users)
    with Session(engine) as session:
        stored = session.scalar(
            select(WebUserRow.password_hash).where(WebUserRow.username == "guard-e1")
        )
    engine.dispose()
    assert stored is not None
    assert stored.startswith("$argon2id$")
    with web.client("guard-e1", "long-enough-1") as guard:
        assert guard.get("/api/v1/me").json()["lang"] == "en"
        assert guard.put("/api/v1/me/lang", json={"lang": "zh-CN"}).status_code == 204
        assert guard.get("/api/v1/me").json()["lang"] == "zh-CN"
        assert "门岗 east-1" in guard.get("/kiosk/east-1").text


def test_the_session_secret_must_not_be_the_demo_one_outside_the_demo() -> None:
    with pytest.raises(ValidationError, match="SESSION_SECRET"):
        WebServerSettings()
    with pytest.raises(ValidationError, match="at least 32"):
        WebServerSettings(session_secret="short")  # type: ignore[arg-type]
    assert WebServerSettings(demo=True).demo
    assert WebServerSettings(session_secret="x" * 40).session_secret.get_secret_value() == "x" * 40  # type: ignore[arg-type]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``campusgate ARGS`` in this process: the CLI's own parser and handlers, its exit
    status and output, without a Python start per call (five calls below)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(io.StringIO(stdin)),
    ):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse refuses a command line this way
            status = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(
        ["campusgate", *args], status, out.getvalue(), err.getvalue()
    )


@contextlib.contextmanager
def _stdin(replacement: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, replacement
    try:
        yield
    finally:
        sys.stdin = saved


def test_campusgate_user_add_and_list(sqlite_url: str) -> None:
    added = cli(
        "user",
        "add",
        "gate-keeper",
        "--role",
        "guard",
        "--gates",
        "north-1,north-2",
        "--lang",
        "en",
        "--db",
        sqlite_url,
        "--password-stdin",
        stdin="s3cret-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "gate-keeper added as guard at north-1, north-2" in added.stdout
    twice = cli(
        "user",
        "add",
        "gate-keeper",
        "--role",
        "auditor",
        "--db",
        sqlite_url,
        "--password-stdin",
        stdin="s3cret-password\n",
    )
    assert twice.returncode == 2
    assert "exists" in twice.stderr
    gateless = cli(
        "user",
        "add",
        "lonely",
        "--role",
        "guard",
        "--db",
        sqlite_url,
        "--password-stdin",
        stdin="s3cret-password\n",
    )
    assert gateless.returncode == 2
    short = cli(
        "user",
        "add",
        "shorty",
        "--role",
        "clinic",
        "--db",
        sqlite_url,
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2
    listed = cli("user", "list", "--db", sqlite_url, "--lang", "en")
    assert re.search(r"gate-keeper\s+guard\s+north-1,north-2\s+en", listed.stdout)
    # The site's language (zh by default) words the role.
    listed = cli("user", "list", "--db", sqlite_url)
    assert re.search(r"gate-keeper\s+门岗\s+north-1,north-2\s+en", listed.stdout)
