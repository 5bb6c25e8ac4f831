"""Every notification failure ends in a dead letter; a name cannot break or bend an e-mail.

Issue 14, Medium 11: a visitor named ``Mallory\\nBcc: ...`` made building the
fever e-mail raise ValueError: no retry, no dead letter, no e-mail to the clinic.
Against the real SMTP receiver (aiosmtpd), the real central and web service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import SystemClock
from services.appointments import add_approver, approve, request_appointment
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.identity import DEMO_KEY, IdHasher
from services.storage.engine import make_engine
from services.web.notify import store as letters
from services.web.notify.channels import EmailChannel, Notice, SmtpTarget
from services.web.notify.service import Notifier, RetryPolicy
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.receivers import SmtpReceiver
from tests.fixtures.web_helpers import run_async
from tests.fixtures.web_seed import UNIT, appointment_request
from tests.fixtures.web_server import ShiftedClock, WebServer

INJECTED = "Mallory\r\nBcc: victim@evil.example\r\n\r\nforged body"


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def mail() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


def email(port: int) -> EmailChannel:
    return EmailChannel(
        SmtpTarget(host="127.0.0.1", port=port, sender="campusgate@campus.example",
                   recipients={"clinic": ["clinic@campus.example"]}, timeout_s=5)
    )  # fmt: skip


class Broken:
    """A channel whose send fails in a way no channel foresees (a bug, a library's surprise)."""

    name = "broken"

    def target(self, notice: Notice) -> str:
        return "somewhere"

    async def send(self, notice: Notice, body: str) -> None:
        raise RuntimeError("the relay library fell over")


def notice(subject: str, **data: Any) -> Notice:
    return Notice("a3e1c0de-1111-4222-8333-944455556666", "fever_alert", "clinic", subject,
                  "发热告警 text", data)  # fmt: skip


def dead(sessions: sessionmaker[Session]) -> list[letters.DeadLetter]:
    with sessions() as session:
        return letters.dead_letters(session=session, include_resolved=True, limit=10)


def deliver(sessions: sessionmaker[Session], channels: list[Any], sent: Notice) -> dict[str, bool]:
    async def run() -> dict[str, bool]:
        notifier = Notifier([(c, RetryPolicy(3, 0)) for c in channels], sessions=sessions,
                            clock=SystemClock())  # fmt: skip
        try:
            return await notifier.deliver(sent)
        finally:
            await notifier.aclose()

    return run_async(run())


def test_a_line_break_in_the_subject_is_flattened_and_the_mail_still_goes(
    sessions: sessionmaker[Session], mail: SmtpReceiver
) -> None:
    result = deliver(sessions, [email(mail.port)], notice(f"[campusgate] Fever: {INJECTED}"))
    assert result == {"email": True}
    recipients, message = mail.get()
    assert recipients == ["clinic@campus.example"]  # no one added by the name
    assert "Bcc" not in message
    assert message["Subject"] == (
        "[campusgate] Fever: Mallory Bcc: victim@evil.example forged body"
    )
    assert message.get_content().strip() == "发热告警 text"
    assert dead(sessions) == []


@pytest.mark.swallows_errors  # a channel that raises is logged with its traceback, on purpose
def test_any_failure_of_any_channel_ends_in_a_dead_letter_and_spares_the_others(
    sessions: sessionmaker[Session], mail: SmtpReceiver
) -> None:
    odd = notice("[campusgate] Fever", when=datetime(2026, 12, 1, tzinfo=UTC))  # not JSON
    result = deliver(sessions, [Broken(), email(mail.port)], odd)
    assert result == {"broken": False, "email": True}
    [letter] = dead(sessions)
    assert (letter.channel, letter.attempts) == ("broken", 1)  # a bug is not retried
    assert letter.error == "RuntimeError: the relay library fell over"
    assert json.loads(letter.payload)["data"]["when"].startswith("2026-12-01")
    mail.get()


@pytest.mark.mqtt
@pytest.mark.slow
def test_a_feverish_visitor_with_a_line_break_in_the_name_reaches_the_clinic_by_mail(
    make_server: Callable[..., WebServer],
    users: str,
    central: CentralWorker,
    campus: Campus,
    broker: LocalBroker,
    site: str,
    clock: ShiftedClock,
    mail: SmtpReceiver,
) -> None:
    from services.web.app import build_channels
    from tests.fixtures.web import web_settings

    settings = web_settings(broker, users, site)
    notify = settings.notify.model_validate(
        {"smtp": {"host": "127.0.0.1", "port": mail.port, "clinic_to": ["clinic@campus.example"]}}
    )
    with_mail = settings.model_copy(update={"notify": notify})
    make_server(users, clock=clock, channels=build_channels(with_mail, clock))
    engine = make_engine(users)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            add_approver(session=session, unit=UNIT, approver="host", by="test", now=now)
            made = request_appointment(
                session=session, request=appointment_request(site, now, visitor_name=INJECTED),
                hasher=IdHasher(DEMO_KEY), by="host", now=now,
            )  # fmt: skip
            code = approve(session=session, appointment_id=made.appointment_id, by="host",
                           now=now, key=campus.key).code  # fmt: skip
    finally:
        engine.dispose()
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        fever = gate.request(passage(site, code, "38.9"))
    finally:
        gate.close()
    assert fever is not None
    assert fever.decision == "isolate"
    recipients, message = mail.get(timeout=15)
    assert recipients == ["clinic@campus.example"]
    assert "Bcc" not in message
    assert "38.9" in message["Subject"]
    assert "\n" not in message["Subject"]
    assert "Mallory Bcc: victim@evil.example" in message["Subject"]
