"""Chat bots when things go wrong: vendors' error answers, rate limits, hostile text, secrets.

The vendors answer HTTP 200 when they refuse (``{"errcode":310000}``, ``{"code":19021}``):
that is a failure, retried when it may pass, a dead letter in the end, whose target
hides the bot's key.  A name cannot mention everyone, break the message's structure
or blow its size; no log line holds a key or a signing secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import SystemClock
from services.broker_admin.local_broker import free_port
from services.web.notify import store as letters
from services.web.notify.channels import Notice
from services.web.notify.chat import ChatChannel
from services.web.notify.limits import SlidingWindow
from services.web.notify.service import Notifier, RetryPolicy
from tests.fixtures.chat_notices import DINGTALK_SECRET, FEISHU_SECRET, NOTICES, PATHS, channel
from tests.fixtures.chat_receivers import FEISHU_OK, RecordingServer
from tests.fixtures.web_helpers import run_async

WECOM_KEY = PATHS["wecom"].split("key=")[1]
DINGTALK_TOKEN = PATHS["dingtalk"].split("access_token=")[1]
FEISHU_HOOK = PATHS["feishu"].rsplit("/", 1)[1]
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, FEISHU_HOOK, DINGTALK_SECRET, FEISHU_SECRET)


def deliver(
    sessions: sessionmaker[Session], made: ChatChannel, notice: Notice, attempts: int
) -> tuple[dict[str, bool], list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> dict[str, bool]:
        notifier = Notifier([(made, RetryPolicy(attempts, 0.5))], sessions=sessions,
                            clock=SystemClock(), sleep=sleep)  # fmt: skip
        try:
            return await notifier.deliver(notice)
        finally:
            await notifier.aclose()

    return run_async(run()), slept


def dead(sessions: sessionmaker[Session]) -> list[letters.DeadLetter]:
    with sessions() as session:
        return letters.dead_letters(session=session, include_resolved=True, limit=50)


REFUSALS = [
    # vendor, answer, retried?, the dead letter's error
    ("wecom", b'{"errcode":93000,"errmsg":"invalid webhook url"}', False,
     "wecom errcode 93000: invalid webhook url"),
    ("wecom", b'{"errcode":45009,"errmsg":"api freq out of limit"}', True,
     "wecom errcode 45009: api freq out of limit"),
    ("dingtalk", b'{"errcode":310000,"errmsg":"sign not match"}', False,
     "dingtalk errcode 310000: sign not match"),
    ("dingtalk", b'{"errcode":130101,"errmsg":"send too fast"}', True,
     "dingtalk errcode 130101: send too fast"),
    ("feishu", b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}',
     False, "feishu code 19021: sign match fail or timestamp is not within one hour"),
    ("feishu", b'{"code":11232,"msg":"frequency limited"}', True,
     "feishu code 11232: frequency limited"),
    ("wecom", b"<html>proxy says hello</html>", True, "wecom: an answer that is not JSON"),
    ("dingtalk", b'{"errmsg":"ok"}', True, "dingtalk: an answer without errcode"),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "answer", "retried", "error"), REFUSALS)
def test_a_vendors_error_answer_with_http_200_is_a_failure_and_ends_in_a_dead_letter(
    vendor: Any, answer: bytes, retried: bool, error: str,
    letters_db: sessionmaker[Session], recording_server: Callable[..., RecordingServer],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    server = recording_server((200, answer))
    made = channel(vendor, f"http://127.0.0.1:{server.port}")
    result, slept = deliver(letters_db, made, NOTICES["fever_alert"], attempts=3)
    assert result == {made.name: False}
    assert (server.count, len(slept)) == ((3, 2) if retried else (1, 0))
    [letter] = dead(letters_db)
    assert (letter.channel, letter.error, letter.kind) == (made.name, error, "fever_alert")
    assert letter.attempts == (3 if retried else 1)
    # The dead letter's target, the log: no key, token, hook path or signing secret.
    for secret in SECRETS:
        assert secret not in letter.target
        assert secret not in caplog.text
    assert "***" in letter.target
    assert json.loads(letter.payload)["id"] == NOTICES["fever_alert"].notice_id


def test_an_unreachable_bot_is_retried_then_a_dead_letter_with_its_key_hidden(
    letters_db: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = channel("wecom", f"http://127.0.0.1:{free_port()}")
    result, slept = deliver(letters_db, made, NOTICES["incident"], attempts=3)
    assert (result, slept) == ({made.name: False}, [0.5, 1.0])
    [letter] = dead(letters_db)
    assert letter.error.startswith("ConnectError (http://127.0.0.1:")
    assert letter.error.endswith("/cgi-bin/webhook/send?key=***)")
    assert letter.target.endswith("?key=***")
    assert WECOM_KEY not in caplog.text


def test_a_server_error_is_retried_and_then_delivered_once(
    letters_db: sessionmaker[Session], recording_server: Callable[..., RecordingServer]
) -> None:
    busy = [(502, b"bad gateway"), (200, b'{"code":-1,"msg":"busy"}')]
    server = recording_server((200, FEISHU_OK), script=busy)
    made = channel("feishu", f"http://127.0.0.1:{server.port}")
    result, slept = deliver(letters_db, made, NOTICES["symptoms"], attempts=5)
    assert (result, slept, server.count) == ({made.name: True}, [0.5, 1.0], 3)
    bodies = {server.get().body for _ in range(3)}
    assert len(bodies) == 1  # the same message each time (and the same signature: same time)
    assert dead(letters_db) == []


def test_no_more_than_twenty_a_minute_reach_a_dingtalk_bot(
    letters_db: sessionmaker[Session], recording_server: Callable[..., RecordingServer]
) -> None:
    """DingTalk shuts a bot up for 10 minutes past 20 messages a minute: the 21st waits."""
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = SlidingWindow(20, 60, monotonic=lambda: now[0], sleep=sleep)
    server = recording_server((200, b'{"errcode":0,"errmsg":"ok"}'))
    made = channel("dingtalk", f"http://127.0.0.1:{server.port}", limiter=limiter)

    async def burst() -> list[dict[str, bool]]:
        notifier = Notifier([(made, RetryPolicy(1, 0))], sessions=letters_db, clock=SystemClock())
        try:
            return [await notifier.deliver(NOTICES["fever_alert"]) for _ in range(21)]
        finally:
            await notifier.aclose()

    assert run_async(burst()) == [{made.name: True}] * 21
    assert server.count == 21
    assert waits == [60.0]  # twenty went at once; the 21st a minute after the first


NAMES = st.text(
    alphabet=st.sampled_from(list("@<>[]()*_`#~|\\!&=\"'\n\r\t\u2028\u202e ：:/.-张三aA1")),
    min_size=0, max_size=300,
) | st.sampled_from([
    "@all", "<@all>", '<at user_id="all">所有人</at>', "@13800001111", "**bold** [x](http://e)",
    "Mallory\n# 标题\n> 引用\n@all", "\u202eevil", "A" * 20_000,
])  # fmt: skip


def hostile(name: str) -> list[Notice]:
    fever = NOTICES["fever_alert"]
    person = {**fever.data["person"], "name": name, "masked_id": name[:20]}
    walkin = NOTICES["walkin"]
    incident = NOTICES["incident"]
    return [
        Notice(fever.notice_id, fever.kind, fever.audience, name, name,
               {**fever.data, "person": person}),
        Notice(walkin.notice_id, walkin.kind, walkin.audience, name, name,
               {**walkin.data, "visitor_name": name, "unit": name, "host_person": name}),
        Notice(incident.notice_id, incident.kind, incident.audience, name, name,
               {**incident.data, "note": name, "by": name}),
        Notice("odd-1", "a_kind_nobody_knows", "clinic", name, name * 3, {}),
    ]  # fmt: skip


def texts(body: dict[str, Any]) -> list[str]:
    """Every string a person reads in a body (the vendor's fields that hold text)."""
    if "msgtype" in body:
        part = body[body["msgtype"]]
        return [part["content"]] if "content" in part else [part["title"], part["text"]]
    if body["msg_type"] == "text":
        return [body["content"]["text"]]
    [post] = body["content"]["post"].values()
    return [post["title"], *(row[0]["text"] for row in post["content"])]


FORMS = [("wecom", "markdown"), ("wecom", "text"), ("dingtalk", "markdown"), ("feishu", "post")]


@pytest.mark.parametrize(("vendor", "fmt"), FORMS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES)
def test_a_hostile_name_mentions_nobody_breaks_nothing_and_stays_small(
    vendor: Any, fmt: Any, name: str
) -> None:
    made = channel(vendor, "http://127.0.0.1:9", fmt=fmt)
    for notice in hostile(name):
        _url, raw = made.body(notice, 1796300109.5)
        assert len(raw) <= 20_000  # Feishu's whole-body limit; WeCom's content limits below
        body = json.loads(raw)
        assert "mentioned_list" not in json.dumps(body)
        if vendor == "dingtalk":
            assert body["at"] == {"isAtAll": False}
        card = made.maker.card(notice)
        for text in texts(body):
            assert "@" not in text
            assert "<at" not in text
            assert "<@" not in text
            assert "\u202e" not in text
            assert "\r" not in text
            assert "[" not in text
            assert "`" not in text
            if vendor == "wecom":
                assert len(text.encode()) <= (4096 if fmt == "markdown" else 2048)
        # One line per field (and title, and what to do): a name adds none.
        lines = texts(body)[-1].split("\n") if vendor != "feishu" else texts(body)[1:]
        blank = 1 if vendor == "dingtalk" else 0
        assert len([x for x in lines if x or not blank]) <= len(card.fields) + 3
