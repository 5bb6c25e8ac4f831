"""What every request handler needs, built once by the app factory.

``WebContext`` holds the settings, the database sessions, the clock, the live
hub and the MQTT feed, the notifier, the escalation timer and the password-check
slots.  Handlers get it with :func:`context` and never reach for globals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import Clock
from services.web.auth.service import LoginPolicy
from services.web.auth.slots import HashSlots
from services.web.errors import Unavailable
from services.web.live.feed import LiveFeed
from services.web.live.hub import Hub
from services.web.notify.service import Notifier
from services.web.settings import WebSettings


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to publish once the transaction that decided it has committed."""

    topic: str
    payload: bytes


@dataclass
class WebContext:
    settings: WebSettings
    sessions: sessionmaker[Session]
    clock: Clock
    hub: Hub
    feed: LiveFeed
    notifier: Notifier
    secret: bytes = field(repr=False, default=b"")
    login_slots: HashSlots = field(default_factory=lambda: HashSlots(1, 1))

    @property
    def site(self) -> str:
        return self.settings.site

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.web.timezone)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def login_policy(self) -> LoginPolicy:
        web = self.settings.web
        return LoginPolicy(
            session_ttl=timedelta(seconds=web.session_ttl_s),
            window=timedelta(seconds=web.login_window_s),
            max_failures_user=web.login_max_failures_user,
            max_failures_remote=web.login_max_failures_remote,
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def require_broker(self) -> None:
        if not self.feed.connected:
            raise Unavailable("broker_down", "the MQTT broker is not connected")

    def publish(self, messages: list[Outbound]) -> None:
        """Publish after commit; paho queues and resends across a reconnect."""
        for message in messages:
            self.feed.publish(message.topic, message.payload)


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
