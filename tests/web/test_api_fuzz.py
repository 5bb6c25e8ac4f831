"""schemathesis against the JSON API: schema-driven and hostile inputs never get a 5xx.

Each operation is called as a user whose role may use it (so the fuzzing reaches the
domain code, not only the role check), with that user's session cookie and CSRF token.
The event stream is left out (it never ends) and so is signing out (it would end the
session the other calls use).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from sqlalchemy import text

from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import make_engine, upgrade
from services.web.app import create_app
from services.web.settings import WebSettings
from tests.fixtures.db import TABLES
from tests.fixtures.web import add_users, web_settings
from tests.fixtures.web_seed import seed
from tests.fixtures.web_server import PASSWORD, WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.slow]

SITE = "fuzz"
# Per operation and mode, each sent to both databases: 183 operations x 2 databases made 40
# cost 100 s of the suite's wall time on two cores. Every run draws new examples, so the
# runs add up.
MAX_EXAMPLES = 20


def user_for(method: str, path: str) -> str:
    if path.startswith("/api/v1/gates/{gate}/") and not path.endswith("/commands"):
        return "guard-n1"
    if path.startswith(("/api/v1/cases", "/api/v1/checkins")) and method == "POST":
        return "nurse"
    if path.startswith("/api/v1/unit/"):
        return "approver-cs"
    return "admin"


def _fuzz_server(url: str, broker: LocalBroker) -> WebServer:
    add_users(url)
    seed(url, SITE)
    # A generous limit: the fuzzer fails to sign in on purpose, often.
    web = WebServer(web_settings(broker, url, SITE, login_max_failures_remote=10_000)).start()
    sessions: dict[str, dict[str, str]] = {}
    for name in ("admin", "guard-n1", "nurse", "approver-cs"):
        response = httpx.post(
            f"{web.url}/api/v1/session", json={"username": name, "password": PASSWORD}
        )
        sessions[name] = {
            "Cookie": f"cg_session={response.cookies['cg_session']}",
            "X-CSRF-Token": response.json()["csrf_token"],
        }
    web.sessions = sessions  # type: ignore[attr-defined]
    return web


@pytest.fixture(scope="module")
def fuzz_servers(
    broker: LocalBroker, postgres_server_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, WebServer]]:
    """The same app on SQLite and on PostgreSQL: every generated request goes to both.

    Generating the requests is most of the fuzzing's cost, so each one is made once and
    each database still gets every example (they differ: PostgreSQL refuses NUL in text).
    """
    sqlite = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.db'}"
    upgrade(sqlite)
    engine = make_engine(postgres_server_db)  # the session's PostgreSQL database, emptied
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)}"))
    engine.dispose()
    servers = {"sqlite": _fuzz_server(sqlite, broker)}
    try:
        servers["postgres"] = _fuzz_server(postgres_server_db, broker)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _operations() -> list[Any]:
    """The API's operations, from the app's own OpenAPI document (no server needed)."""
    app = create_app(
        WebSettings.model_validate({"web": {"demo": True}, "db": {"url": "sqlite://"}})
    )
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    return [
        op
        for op in operations
        if op.path != "/api/v1/live"
        and (op.method.upper(), op.path) != ("DELETE", "/api/v1/session")
    ]


def _takes_input(operation: Any) -> bool:
    return bool(len(operation.path_parameters) + len(operation.query) + len(operation.body))


# Hostile (schema-violating) inputs wherever an operation takes any input at all.
CASES = [
    pytest.param(op, mode, id=f"{op.method.upper()} {op.path} {mode.value}")
    for op in _operations()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _takes_input(op)
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_the_api_never_answers_with_a_server_error(
    operation: Any, mode: GenerationMode, fuzz_servers: dict[str, WebServer]
) -> None:
    user = user_for(operation.method, operation.path)
    seen: dict[str, list[int]] = {database: [] for database in fuzz_servers}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        for database, server in fuzz_servers.items():
            headers = dict(server.sessions[user])  # type: ignore[attr-defined]
            response = case.call(base_url=server.url, headers=headers)
            seen[database].append(response.status_code)
            assert response.status_code < 500, (
                f"{database}: {case.method} {case.formatted_path} {case.body!r:.200} -> "
                f"{response.status_code}: {response.text[:300]}"
            )

    call()
    assert all(seen.values()), seen
