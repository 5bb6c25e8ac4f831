"""Notifications against real local receivers: signed webhook with retries and dead
letters, SMTP e-mail; and the whole path from a fever at the gate to the clinic's inbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import SystemClock
from services.broker_admin.local_broker import LocalBroker, free_port
from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.web.notify import store as letters
from services.web.notify.channels import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EmailChannel,
    Notice,
    SmtpTarget,
    WebhookChannel,
    verify_signature,
)
from services.web.notify.service import Notifier, RetryPolicy
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.receivers import SmtpReceiver, WebhookReceiver
from tests.fixtures.web_helpers import run_async
from tests.fixtures.web_server import ShiftedClock, WebServer

SECRET = b"webhook-shared-secret-123"
NOTICE = Notice(
    "2b6e8f0a-5b1c-4b8e-9d61-3f1a2c4d5e6f",
    "fever_alert",
    "clinic",
    "[campusgate] 发热告警 Fever at north-1",
    "发热告警：north-1\nFever alert",
    {"case_id": "C-1"},
)


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Callable[..., WebhookReceiver]]:
    started: list[WebhookReceiver] = []

    def factory(statuses: list[int] | None = None) -> WebhookReceiver:
        started.append(WebhookReceiver(statuses).start())
        return started[-1]

    yield factory
    for r in started:
        r.stop()


@pytest.fixture
def smtp() -> Iterator[Callable[..., SmtpReceiver]]:
    started: list[SmtpReceiver] = []

    def factory(reply: str = "250 OK") -> SmtpReceiver:
        started.append(SmtpReceiver(reply).start())
        return started[-1]

    yield factory
    for r in started:
        r.stop()


def deliver(
    sessions: sessionmaker[Session], make_channel: Callable[[], Any], policy: RetryPolicy
) -> tuple[dict[str, bool], list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> dict[str, bool]:
        channel = make_channel()
        notifier = Notifier(
            [(channel, policy)], sessions=sessions, clock=SystemClock(), sleep=sleep
        )
        try:
            return await notifier.deliver(NOTICE)
        finally:
            await notifier.aclose()

    return run_async(run()), slept


def webhook(url: str) -> Callable[[], WebhookChannel]:
    return lambda: WebhookChannel(url, SECRET, timeout_s=2, clock_unix=time.time)


def dead(sessions: sessionmaker[Session]) -> list[letters.DeadLetter]:
    with sessions() as session:
        return letters.dead_letters(session=session, include_resolved=True, limit=10)


def test_the_webhook_is_signed_and_a_relay_can_check_it(
    sessions: sessionmaker[Session], receiver: Callable[..., WebhookReceiver]
) -> None:
    hook = receiver()
    result, slept = deliver(sessions, webhook(hook.url), RetryPolicy(3, 0.5))
    assert (result, slept) == ({"webhook": True}, [])
    got = hook.requests.get(timeout=5)
    body = json.loads(got.body)
    assert (body["kind"], body["audience"], body["data"]) == (
        "fever_alert",
        "clinic",
        {"case_id": "C-1"},
    )
    assert got.headers[DELIVERY_HEADER] == NOTICE.notice_id
    timestamp, signature = got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    assert signature.startswith("sha256=")
    assert verify_signature(SECRET, timestamp, got.body, signature, time.time())
    assert not verify_signature(
        b"another-secret-value", timestamp, got.body, signature, time.time()
    )
    assert not verify_signature(SECRET, timestamp, got.body + b" ", signature, time.time())
    assert not verify_signature(SECRET, timestamp, got.body, signature, time.time() + 3600)  # stale


def test_the_webhook_retries_with_backoff_and_the_same_delivery_id(
    sessions: sessionmaker[Session], receiver: Callable[..., WebhookReceiver]
) -> None:
    hook = receiver([500, 503, 429])
    result, slept = deliver(sessions, webhook(hook.url), RetryPolicy(5, 0.5))
    assert result == {"webhook": True}
    assert slept == [0.5, 1.0, 2.0]
    ids = {hook.requests.get(timeout=5).headers[DELIVERY_HEADER] for _ in range(4)}
    assert ids == {NOTICE.notice_id}
    assert dead(sessions) == []


def test_a_webhook_that_keeps_failing_ends_in_the_dead_letter_list(
    sessions: sessionmaker[Session], receiver: Callable[..., WebhookReceiver]
) -> None:
    hook = receiver([502] * 10)
    result, slept = deliver(sessions, webhook(hook.url), RetryPolicy(3, 0.1))
    assert result == {"webhook": False}
    assert hook.count == 3
    assert len(slept) == 2
    [letter] = dead(sessions)
    assert (letter.channel, letter.target, letter.attempts, letter.error) == (
        "webhook",
        hook.url,
        3,
        "HTTP 502",
    )
    assert json.loads(letter.payload)["id"] == NOTICE.notice_id


def test_a_refused_webhook_is_not_retried_and_an_absent_one_is(
    sessions: sessionmaker[Session], receiver: Callable[..., WebhookReceiver]
) -> None:
    hook = receiver([403])
    result, slept = deliver(sessions, webhook(hook.url), RetryPolicy(5, 0.1))
    assert (result, slept, hook.count) == ({"webhook": False}, [], 1)
    nobody = f"http://127.0.0.1:{free_port()}/hook"
    result, slept = deliver(sessions, webhook(nobody), RetryPolicy(3, 0.1))
    assert result == {"webhook": False}
    assert len(slept) == 2
    errors = sorted(letter.error.split(":")[0] for letter in dead(sessions))
    assert errors == ["ConnectError", "HTTP 403"]


def smtp_channel(port: int) -> Callable[[], EmailChannel]:
    target = SmtpTarget(
        host="127.0.0.1",
        port=port,
        sender="campusgate@campus.example",
        recipients={"clinic": ["clinic@campus.example", "duty@campus.example"]},
        timeout_s=5,
    )
    return lambda: EmailChannel(target)


def test_email_reaches_a_real_smtp_server(
    sessions: sessionmaker[Session], smtp: Callable[..., SmtpReceiver]
) -> None:
    server = smtp()
    result, _ = deliver(sessions, smtp_channel(server.port), RetryPolicy(3, 0.1))
    assert result == {"email": True}
    recipients, message = server.get()
    assert recipients == ["clinic@campus.example", "duty@campus.example"]
    assert message["Subject"] == NOTICE.subject
    assert message["From"] == "campusgate@campus.example"
    assert "发热告警" in message.get_content()


def test_email_refused_or_unreachable_is_dead_lettered(
    sessions: sessionmaker[Session], smtp: Callable[..., SmtpReceiver]
) -> None:
    refusing = smtp("554 5.7.1 relay denied")
    result, slept = deliver(sessions, smtp_channel(refusing.port), RetryPolicy(3, 0.1))
    assert (result, slept) == ({"email": False}, [])  # 5xx: permanent, no retry
    busy = smtp("451 4.3.0 try again later")
    result, slept = deliver(sessions, smtp_channel(busy.port), RetryPolicy(3, 0.1))
    assert (result, len(slept)) == ({"email": False}, 2)  # 4xx: retried
    result, slept = deliver(sessions, smtp_channel(free_port()), RetryPolicy(2, 0.1))
    assert (result, len(slept)) == ({"email": False}, 1)
    assert [(x.channel, x.error[:8]) for x in dead(sessions)] == [
        ("email", "Connecti"),
        ("email", "SMTP 451"),
        ("email", "SMTP 554"),
    ]


@pytest.mark.mqtt
@pytest.mark.slow
def test_a_fever_reaches_the_clinic_by_webhook_and_mail_and_an_escalation_the_office(
    make_server: Callable[..., WebServer],
    users: str,
    central: CentralWorker,
    campus: Campus,
    broker: LocalBroker,
    site: str,
    clock: ShiftedClock,
    receiver: Callable[..., WebhookReceiver],
    smtp: Callable[..., SmtpReceiver],
) -> None:
    hook, mail = receiver(), smtp()
    from services.web.app import build_channels
    from tests.fixtures.web import web_settings

    settings = web_settings(broker, users, site).model_copy(deep=True)
    notify = settings.notify.model_validate(
        {
            "webhook": {"url": hook.url, "secret": SECRET.decode(), "backoff_s": 0},
            "smtp": {
                "host": "127.0.0.1",
                "port": mail.port,
                "clinic_to": ["clinic@campus.example"],
                "security_to": ["office@campus.example"],
            },
        }
    )
    settings = settings.model_copy(update={"notify": notify})
    web = make_server(users, clock=clock, channels=build_channels(settings, clock))
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        fever = gate.request(passage(site, campus.code(campus.people[2].person_id), "38.9"))
    finally:
        gate.close()
    assert fever is not None
    got = hook.requests.get(timeout=10)
    body = json.loads(got.body)
    assert (body["kind"], body["data"]["case_id"], body["data"]["celsius"]) == (
        "fever_alert",
        fever.case_id,
        38.9,
    )
    assert verify_signature(
        SECRET,
        got.headers[TIMESTAMP_HEADER],
        got.body,
        got.headers[SIGNATURE_HEADER],
        clock.now().timestamp(),
    )
    to, message = mail.get()
    assert to == ["clinic@campus.example"]
    assert "38.9" in message["Subject"]
    # Nobody acknowledges: the security office hears of it.
    clock.advance(timedelta(seconds=web.settings.web.escalation_delay_s + 1))
    escalation = json.loads(hook.requests.get(timeout=10).body)
    assert (escalation["kind"], escalation["audience"]) == ("escalation", "security")
    assert escalation["data"]["case_id"] == fever.case_id
    to, message = mail.get()
    assert to == ["office@campus.example"]
    assert hook.count == 2  # the alert was sent once, though every web process sees it


@pytest.mark.mqtt
def test_an_administrator_sends_a_dead_letter_again(
    make_server: Callable[..., WebServer], users: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    channel = WebhookChannel(url, SECRET, timeout_s=2, clock_unix=time.time)
    web = make_server(users, channels=[(channel, RetryPolicy(2, 0))])
    assert web.run_on_loop(web.ctx.notifier.deliver(NOTICE)) == {"webhook": False}
    with web.client("admin") as admin:
        [letter] = admin.get("/api/v1/notifications/dead-letters").json()
        assert (letter["attempts"], letter["resolved_at"]) == (2, None)
        again = admin.post(f"/api/v1/notifications/dead-letters/{letter['id']}/retry").json()
        assert again["resolved_at"] is None  # still nobody there
        hook = WebhookReceiver(port=port).start()
        try:
            sent = admin.post(f"/api/v1/notifications/dead-letters/{letter['id']}/retry").json()
            assert sent["resolved_at"] is not None
            assert json.loads(hook.requests.get(timeout=5).body)["id"] == NOTICE.notice_id
        finally:
            hook.stop()
        assert admin.get("/api/v1/notifications/dead-letters").json() == []
        assert len(admin.get("/api/v1/notifications/dead-letters?resolved=true").json()) == 1
        missing = admin.post("/api/v1/notifications/dead-letters/999999/retry")
        assert missing.status_code == 404
