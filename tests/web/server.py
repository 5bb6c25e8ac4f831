"""The web app under a real uvicorn on a free port, in a thread of the test process."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import uvicorn

from kernel.clock import SystemClock
from services.broker_admin.local_broker import free_port
from services.web.app import create_app
from services.web.serve import server_config
from services.web.settings import WebSettings

START_TIMEOUT_S = 15.0
PASSWORD = "correct-horse-42"


class ShiftedClock:
    """The real time plus an offset that a test moves (escalation, rate-limit windows)."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._real = SystemClock()

    def now(self) -> datetime:
        return self._real.now() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class WebServer:
    def __init__(
        self, settings: WebSettings, server_options: dict[str, Any] | None = None, **app_kwargs: Any
    ) -> None:
        server_options = server_options or {}
        self.settings = settings
        self.port = free_port()
        self.app = create_app(settings, **app_kwargs)
        config = server_config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            log_config=None,
            timeout_graceful_shutdown=1,
            lifespan="on",
            **server_options,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.scheme = "https" if "ssl_certfile" in server_options else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ctx(self) -> Any:
        return self.app.state.ctx

    def start(self) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ctx.feed.connected:  # live pages need the feed subscribed
            if time.monotonic() > deadline:
                raise RuntimeError("the web server's MQTT feed did not connect")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(15)

    def run_on_loop(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the server's event loop (e.g. a notifier call) and wait."""
        loop = self.ctx.hub._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def client(self, username: str | None = None, password: str = PASSWORD) -> httpx.Client:
        """An HTTP client, signed in as ``username`` (CSRF header set) when given."""
        if username is None:
            return httpx.Client(base_url=self.url, timeout=10.0)
        body = {"username": username, "password": password}
        response = httpx.post(f"{self.url}/api/v1/session", json=body, timeout=10.0)
        response.raise_for_status()
        return httpx.Client(
            base_url=self.url,
            timeout=10.0,
            cookies={"cg_session": response.cookies["cg_session"]},
            headers={"X-CSRF-Token": response.json()["csrf_token"]},
        )
