"""Fixtures of the web tests: users of every role, the web server, the central service,
and a Chromium driven by Playwright (Debian's /usr/bin/chromium)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from services.broker_admin.local_broker import LocalBroker
from services.central.app import build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.web.auth.roles import Role
from services.web.auth.service import create_user
from services.web.settings import WebSettings
from tests.fixtures.campus import Campus, make_campus
from tests.fixtures.gate_client import DecisionClient
from tests.web.server import PASSWORD, ShiftedClock, WebServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
GATES = ["north-1", "north-2", "south-2"]
# username -> (role, gates)
USERS: dict[str, tuple[Role, frozenset[str]]] = {
    "admin": (Role.ADMIN, frozenset()),
    "officer": (Role.SECURITY, frozenset()),
    "guard-n1": (Role.GUARD, frozenset({"north-1"})),
    "guard-s2": (Role.GUARD, frozenset({"south-2"})),
    "nurse": (Role.CLINIC, frozenset()),
    "auditor": (Role.AUDITOR, frozenset()),
}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("CAMPUSGATE_SCREENSHOTS", ROOT / "var" / "screenshots"))


def add_users(db_url: str, lang: str = "en") -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            for name, (role, gates) in USERS.items():
                create_user(
                    session=session,
                    username=name,
                    password=PASSWORD,
                    role=role,
                    gates=gates,
                    lang="zh-CN" if name == "nurse" else lang,  # type: ignore[arg-type]
                    now=datetime.now(UTC),
                )
    finally:
        engine.dispose()


def web_settings(broker: LocalBroker, db_url: str, site: str, **web: Any) -> WebSettings:
    return WebSettings.model_validate(
        {
            "site": site,
            "mqtt": {"url": broker.url},
            "db": {"url": db_url},
            "web": {"demo": True, "gates": GATES, "escalation_tick_s": 0.2, **web},
        }
    )


@pytest.fixture
def users(sqlite_url: str) -> str:
    add_users(sqlite_url)
    return sqlite_url


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def make_server(broker: LocalBroker, site: str) -> Iterator[Callable[..., WebServer]]:
    started: list[WebServer] = []

    def factory(
        db_url: str,
        *,
        clock: Any = None,
        channels: Any = None,
        server_options: dict[str, Any] | None = None,
        **web: Any,
    ) -> WebServer:
        kwargs: dict[str, Any] = {"clock": clock}
        if channels is not None:
            kwargs["channels"] = channels
        settings = web_settings(broker, db_url, site, **web)
        server = WebServer(settings, server_options, **kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def web(make_server: Callable[..., WebServer], users: str, clock: ShiftedClock) -> WebServer:
    return make_server(users, clock=clock)


@pytest.fixture
def campus(users: str, tmp_path: Path) -> Campus:
    return make_campus(users, tmp_path / "keys")


@pytest.fixture
def central(broker: LocalBroker, users: str, campus: Campus, site: str) -> Iterator[CentralWorker]:
    settings = CentralSettings(
        site=site,
        mqtt=MqttSettings(url=broker.url),
        db=DbSettings(url=users),
        keys_dir=campus.keys_dir,
    )
    worker = build_worker(settings)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def gate(broker: LocalBroker, site: str) -> Iterator[DecisionClient]:
    """A gate's passage/decision client for the test's site."""
    client = DecisionClient(broker.url, site=site).connect()
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (scripts/setup.sh installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(width, height)`` -> a page in a fresh browser context (own cookies)."""
    contexts: list[Any] = []

    def factory(width: int = 1366, height: int = 768) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield factory
    for context in contexts:
        context.close()


def sign_in(page: Any, web: WebServer, username: str, then: str = "/", live: bool = True) -> None:
    """Sign in through the login form; for a live page, wait until its event stream is up."""
    page.goto(f"{web.url}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    if live:
        page.wait_for_selector("body[data-live=connected]")
