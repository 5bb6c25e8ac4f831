"""The demo's users: added once, each signs in and lands on its own page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from services.storage.engine import make_engine
from services.web.auth.store import list_users
from services.web.demo import DEMO_PASSWORD, add_demo_users
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt


def test_demo_users_sign_in_to_their_pages(
    make_server: Callable[..., WebServer], sqlite_url: str
) -> None:
    engine = make_engine(sqlite_url)
    for _ in range(2):  # a second call adds nothing
        with Session(engine) as session, session.begin():
            add_demo_users(session=session, gates=["north-1", "south-1"], now=datetime.now(UTC))
    with Session(engine) as session:
        names = [u.username for u in list_users(session=session)]
    engine.dispose()
    assert names == ["admin", "auditor", "guard-north-1", "guard-south-1", "nurse", "officer"]
    web = make_server(sqlite_url)
    for user, home in (("guard-north-1", "/kiosk/north-1"), ("nurse", "/clinic"),
                       ("officer", "/dashboard")):  # fmt: skip
        with web.client(user, DEMO_PASSWORD) as client:
            response = client.get("/")
            assert (response.status_code, response.headers["location"]) == (303, home)
            assert client.get(home).status_code == 200
