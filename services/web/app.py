"""The app factory: ``create_app(settings) -> FastAPI``.

It wires the database, the one MQTT feed, the live hub, the notifier and the
escalation timer into a :class:`~services.web.context.WebContext`, mounts the
pages, the JSON API (OpenAPI at ``/api/openapi.json``; no Swagger UI, which
would load from a CDN) and the packaged static files, and maps errors in one
place.  Tests run the returned app under uvicorn on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.bus.mqtt import parse_broker_url
from kernel.clock import Clock, SystemClock
from kernel.errors import BusError
from kernel.localtime import site_zone
from services.storage.engine import make_engine
from services.web import health
from services.web.admin import pages as admin_pages
from services.web.api import (
    appointments,
    audit,
    cases,
    checkins,
    dashboard,
    events,
    everyday,
    gates,
    lane_health,
    live,
    passes,
    policy,
    reports,
    roster,
    session,
    units,
    users,
    vehicles,
    visitors,
)
from services.web.api.errors import install_error_handlers
from services.web.audit import pages as audit_pages
from services.web.auth import pages as auth_pages
from services.web.auth.slots import HashSlots
from services.web.checkins import pages as checkin_pages
from services.web.checkins import reminders as checkin_reminders
from services.web.clinic import pages as clinic_pages
from services.web.clinic.workflow import CaseWorkflow
from services.web.context import WebContext
from services.web.dashboard import pages as dashboard_pages
from services.web.kiosk import pages as kiosk_pages
from services.web.live.feed import LiveFeed
from services.web.live.hub import Hub
from services.web.me import checkin as me_checkin
from services.web.me import pages as me_pages
from services.web.notify.build import extra_channels
from services.web.notify.channels import Channel, EmailChannel, SmtpTarget, WebhookChannel
from services.web.notify.service import Notifier, RetryPolicy, Sleep
from services.web.reports import pages as report_pages
from services.web.settings import WebSettings
from services.web.visitors import pages as visitor_pages
from services.web.visitors import public as visitor_public
from services.web.visitors import sweeper as visitor_sweeper
from ui import STATIC as UI_STATIC

log = logging.getLogger(__name__)

# Every router of the app, pages and API (the role test walks them all).
ROUTERS = (
    session.router,
    gates.router,
    lane_health.router,
    cases.router,
    checkins.router,
    dashboard.router,
    users.router,
    live.router,
    audit.router,
    appointments.router,
    passes.router,
    policy.router,
    reports.router,
    roster.router,
    auth_pages.router,
    kiosk_pages.router,
    dashboard_pages.router,
    clinic_pages.router,
    checkin_pages.router,
    audit_pages.router,
    admin_pages.router,
    report_pages.router,
    health.router,
    me_pages.router,
    me_checkin.router,
    visitors.router,
    units.router,
    vehicles.router,
    everyday.router,
    events.router,
    visitor_public.router,
    visitor_pages.router,
)
STATIC = UI_STATIC  # shared with the gate's local kiosk
BROKER_RETRY_S = 5.0
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"media-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
     b"form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]  # fmt: skip


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI: streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def build_channels(settings: WebSettings, clock: Clock) -> list[tuple[Channel, RetryPolicy]]:
    channels: list[tuple[Channel, RetryPolicy]] = []
    hook = settings.notify.webhook
    if hook.url is not None and hook.secret is not None:
        channel = WebhookChannel(
            hook.url,
            hook.secret.get_secret_value().encode(),
            timeout_s=hook.timeout_s,
            clock_unix=lambda: clock.now().timestamp(),
        )
        channels.append((channel, RetryPolicy(hook.attempts, hook.backoff_s)))
    smtp = settings.notify.smtp
    if smtp.host is not None:
        target = SmtpTarget(
            host=smtp.host,
            port=smtp.port,
            sender=smtp.sender,
            recipients={"clinic": smtp.clinic_to, "security": smtp.security_to},
            starttls=smtp.starttls,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            timeout_s=smtp.timeout_s,
        )
        channels.append((EmailChannel(target), RetryPolicy(smtp.attempts, smtp.backoff_s)))
    # WeCom, DingTalk and Feishu group bots, and the SMS gateway (notify/build.py).
    zone = site_zone(settings.web.timezone)
    channels += extra_channels(settings.notify, zone, lambda: clock.now().timestamp())
    return channels


async def _connect_feed(feed: LiveFeed) -> None:
    """Connect the MQTT feed, retrying until the broker is there (pages work meanwhile)."""
    while True:
        try:
            await asyncio.to_thread(feed.start)
            return
        except BusError as exc:
            log.error("live feed: %s; retrying in %.0f s", exc, BROKER_RETRY_S)
            await asyncio.sleep(BROKER_RETRY_S)


def _lifespan(
    ctx: WebContext, workflow: CaseWorkflow, engine: Engine
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """Start the feed, the hub, the notifier and the escalation timer with the app; stop them."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        ctx.hub.bind(loop)
        ctx.notifier.bind(loop)
        workflow.bind(loop)
        connecting = asyncio.create_task(_connect_feed(ctx.feed))
        timer = asyncio.create_task(workflow.run())
        walkins = asyncio.create_task(visitor_sweeper.run(ctx))
        tasks = [connecting, timer, walkins]
        if ctx.settings.web.checkin_auto_remind:
            tasks.append(asyncio.create_task(checkin_reminders.run(ctx)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            ctx.hub.close_all()
            await asyncio.to_thread(ctx.feed.close)
            await ctx.notifier.aclose()
            engine.dispose()

    return lifespan


def create_app(
    settings: WebSettings,
    *,
    clock: Clock | None = None,
    channels: list[tuple[Channel, RetryPolicy]] | None = None,
    notify_sleep: Sleep | None = None,
) -> FastAPI:
    """The web application; ``clock``, ``channels`` and ``notify_sleep`` are for tests."""
    clock = clock or SystemClock()
    engine = make_engine(settings.db.url)
    sessions = sessionmaker(engine, expire_on_commit=False, class_=Session)
    hub = Hub(settings.web.live_queue_max)
    feed = LiveFeed(parse_broker_url(settings.mqtt.url), site=settings.site, hub=hub, clock=clock)
    notifier = Notifier(
        build_channels(settings, clock) if channels is None else channels,
        sessions=sessions,
        clock=clock,
        sleep=notify_sleep or asyncio.sleep,
    )
    ctx = WebContext(
        settings=settings,
        sessions=sessions,
        clock=clock,
        hub=hub,
        feed=feed,
        notifier=notifier,
        secret=settings.web.session_secret.get_secret_value().encode(),
        login_slots=HashSlots(settings.web.login_hash_slots, settings.web.login_device_hash_slots),
    )
    workflow = CaseWorkflow(ctx)
    feed.on_alert = workflow.on_alert
    app = FastAPI(
        title="campusgate web",
        version="1",
        description="Gate kiosk, security office dashboard, clinic; every page action.",
        lifespan=_lifespan(ctx, workflow, engine),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    app.state.workflow = workflow
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
