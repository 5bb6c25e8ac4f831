"""Every error in the HTTP table, raised through the real app: the status and the body it says.

A test route added to the app raises each class of the table; the app's own error
handlers answer it, as they answer every router's errors.  Requests go in through
the app's ASGI interface (httpx's transport), middleware and all; the app is not
started, so its broker feed never connects.
"""

from __future__ import annotations

import asyncio
import importlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kernel.errors import CampusgateError
from services.roster.xlsx_limits import RosterTooLarge
from services.web.api.errors import HTTP_ERRORS, STATUS_MESSAGE, HttpError, full_name
from services.web.app import create_app
from services.web.errors import InvalidInput, NotAuthenticated, RateLimited, WebError
from services.web.settings import WebSettings
from ui.i18n import MESSAGES, t

DETAIL = "value 42 is not a date"
RETRY_AFTER_S = 30
REQUEST_TIMEOUT_S = 30.0
# Where the test routes are; the web's own pages and API live elsewhere.
API_RAISE = "/api/v1/test-raise/{name}"
PAGE_RAISE = "/test-raise/{name}"
API_INVALID = "/api/v1/test-invalid/{code}"
NO_BROKER = "mqtt://127.0.0.1:9"  # nothing listens here, and nothing tries


def error_class(name: str) -> type[CampusgateError]:
    module, _, attribute = name.rpartition(".")
    cls = getattr(importlib.import_module(module), attribute)
    assert issubclass(cls, CampusgateError)
    return cls


def example(cls: type[CampusgateError]) -> CampusgateError:
    if issubclass(cls, RosterTooLarge):
        return cls(DETAIL, DETAIL)
    if issubclass(cls, RateLimited):
        return cls(RETRY_AFTER_S)
    if issubclass(cls, WebError):
        return cls(detail=DETAIL)
    return cls(DETAIL)


class Client:
    """Requests into the app's ASGI interface, each on an event loop of its own thread.

    A thread, because the browser tests' Playwright keeps an event loop running on
    the test thread for the whole session.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://web", headers={"accept-language": "en"}
            ) as client:
                return await client.get(path)

        with ThreadPoolExecutor(1, thread_name_prefix="error-map") as pool:
            return pool.submit(lambda: asyncio.run(call())).result(timeout=REQUEST_TIMEOUT_S)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    database = Path(tmp_path_factory.mktemp("error-map")) / "unused.db"
    settings = WebSettings.model_validate(
        {"mqtt": {"url": NO_BROKER}, "db": {"url": f"sqlite:///{database}"}, "web": {"demo": True}}
    )
    app = create_app(settings)

    def raiser(name: str) -> None:
        raise example(error_class(name))

    def invalid(code: str) -> None:
        raise InvalidInput(code, DETAIL)

    app.add_api_route(API_RAISE, raiser)
    app.add_api_route(PAGE_RAISE, raiser)
    app.add_api_route(API_INVALID, invalid)
    return Client(app)


def message_of(code: str, entry: HttpError) -> str:
    key = (
        f"error.{code}" if f"error.{code}" in MESSAGES else f"error.{STATUS_MESSAGE[entry.status]}"
    )
    assert key in MESSAGES, f"no message for {code!r} or status {entry.status}"
    return t("en", key)


@pytest.mark.parametrize("name", sorted(HTTP_ERRORS))
def test_an_api_caller_gets_the_tables_status_and_a_json_problem(client: Client, name: str) -> None:
    entry = HTTP_ERRORS[name]
    response = client.get(API_RAISE.format(name=name))
    assert response.status_code == entry.status
    body = response.json()
    expected = {"error": entry.code, "message": message_of(entry.code, entry)}
    if entry.detail:
        expected["detail"] = DETAIL
    assert body == expected
    if error_class(name) is RateLimited:
        assert response.headers["retry-after"] == str(RETRY_AFTER_S)


@pytest.mark.parametrize("name", sorted(HTTP_ERRORS))
def test_a_person_gets_the_tables_status_on_a_page(client: Client, name: str) -> None:
    entry = HTTP_ERRORS[name]
    response = client.get(PAGE_RAISE.format(name=name))
    if error_class(name) is NotAuthenticated:  # no session: sent to sign in, then back
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/test-raise/")
        return
    assert response.status_code == entry.status
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 id="error-message">{message_of(entry.code, entry)}</h1>' in response.text
    assert f'<p class="muted">{entry.code}</p>' in response.text
    assert (f'<p id="error-detail">{DETAIL}</p>' in response.text) is entry.detail


def test_a_web_errors_own_code_is_kept_with_its_message_or_the_statuses(
    client: Client,
) -> None:
    named = client.get(API_INVALID.format(code="bad_dates"))
    assert named.status_code == 422
    assert named.json() == {"error": "bad_dates", "message": t("en", "error.bad_dates"),
                            "detail": DETAIL}  # fmt: skip
    unnamed = client.get(API_INVALID.format(code="no_message_for_this"))
    assert unnamed.json()["error"] == "no_message_for_this"
    assert unnamed.json()["message"] == t("en", "error.invalid_input")


def test_web_error_classes_and_the_table_agree_on_codes() -> None:
    for name, entry in HTTP_ERRORS.items():
        cls = error_class(name)
        if issubclass(cls, WebError):
            assert cls.code == entry.code, name


def test_a_real_route_answers_through_the_same_table(client: Client) -> None:
    response = client.get("/api/v1/cases")  # no session cookie
    entry = HTTP_ERRORS[full_name(NotAuthenticated)]
    assert response.status_code == entry.status
    assert response.json() == {"error": entry.code, "message": t("en", "error.not_authenticated")}


def test_a_broken_backend_is_a_503_and_a_refusal_never_a_500() -> None:
    assert HTTP_ERRORS["kernel.errors.StorageError"].status == 503
    assert HTTP_ERRORS["kernel.errors.BusError"].status == 503
    bare = sorted(name for name, entry in HTTP_ERRORS.items() if entry.status == 500)
    # Only the root and what runs on the gate alone: seen in the web, they are bugs.
    assert all(
        n.startswith(("devices.", "gateway.", "kernel.errors.CampusgateError")) for n in bare
    )
