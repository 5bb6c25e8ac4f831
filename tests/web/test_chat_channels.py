"""WeCom, DingTalk and Feishu bots and the SMS gateway against real local HTTP servers.

Each request body is checked byte for byte against a golden file per channel and kind
of notice (``tests/web/golden/chat/<channel>/<kind>.json``; ``CAMPUSGATE_UPDATE_GOLDEN=1``
rewrites them, to be read against the vendors' documents before committing), and
against the shape each vendor documents (formats.py names the pages).  Signatures are
computed here, independently, from the documented algorithms at a fixed time.
Vendor error answers (HTTP 200 with ``errcode``/``code`` not 0) end in a dead letter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import SystemClock
from services.web.notify import store as letters
from services.web.notify.cards import CardMaker
from services.web.notify.channels import Channel, Notice
from services.web.notify.limits import SlidingWindow
from services.web.notify.service import Notifier, RetryPolicy
from services.web.notify.sms import HttpSmsGateway, SmsChannel
from tests.fixtures.chat_notices import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    FIXED_UNIX,
    NOTICES,
    PATHS,
    SHANGHAI,
    VISITOR_CODE,
    channel,
)
from tests.fixtures.chat_receivers import FEISHU_OK, FakeSmsGateway, RecordingServer
from tests.fixtures.web_helpers import run_async

GOLDEN = Path(__file__).parent / "golden" / "chat"
UPDATE = os.environ.get("CAMPUSGATE_UPDATE_GOLDEN") == "1"
SMS_TOKEN = "sms-gateway-token-0123456789"


def deliver(
    sessions: sessionmaker[Session], made: Channel, notices: list[Notice], attempts: int = 1
) -> list[dict[str, bool]]:
    async def run() -> list[dict[str, bool]]:
        notifier = Notifier([(made, RetryPolicy(attempts, 0))], sessions=sessions,
                            clock=SystemClock())  # fmt: skip
        try:
            return [await notifier.deliver(n) for n in notices]
        finally:
            await notifier.aclose()

    return run_async(run())


def dead(sessions: sessionmaker[Session]) -> list[letters.DeadLetter]:
    with sessions() as session:
        return letters.dead_letters(session=session, include_resolved=True, limit=50)


def golden(name: str, kind: str, body: bytes) -> bytes:
    path = GOLDEN / name / f"{kind}.json"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body + b"\n")
    return path.read_bytes().removesuffix(b"\n")


def documented_shape(vendor: str, body: dict[str, Any]) -> None:
    """What each vendor's page says a body is (and nothing else: no mention of anyone)."""
    if vendor == "wecom":
        assert set(body) == {"msgtype", "markdown"}
        assert body["msgtype"] == "markdown"
        assert set(body["markdown"]) == {"content"}
        assert len(body["markdown"]["content"].encode()) <= 4096
    elif vendor == "dingtalk":
        assert set(body) == {"msgtype", "markdown", "at"}
        assert body["msgtype"] == "markdown"
        assert set(body["markdown"]) == {"title", "text"}
        assert body["at"] == {"isAtAll": False}
    else:
        assert list(body)[:2] == ["timestamp", "sign"]  # 签名校验 fields first, then the message
        assert set(body) == {"timestamp", "sign", "msg_type", "content"}
        assert body["msg_type"] == "post"
        [(locale, post)] = body["content"]["post"].items()
        assert locale == "zh_cn"
        assert set(post) == {"title", "content"}
        for row in post["content"]:
            assert [set(item) for item in row] == [{"tag", "text"}]
            assert row[0]["tag"] == "text"


def dingtalk_query(timestamp_ms: int) -> str:
    """DingTalk's 加签, from its document: urlEncode(base64(HmacSHA256(secret, ts\\nsecret)))."""
    string_to_sign = f"{timestamp_ms}\n{DINGTALK_SECRET}".encode()
    digest = hmac.new(DINGTALK_SECRET.encode(), string_to_sign, hashlib.sha256).digest()
    return f"timestamp={timestamp_ms}&sign={urllib.parse.quote_plus(base64.b64encode(digest))}"


def feishu_sign(timestamp_s: int) -> str:
    """Feishu's 签名校验, from its document: base64(HmacSHA256(key=ts\\nsecret, msg=empty))."""
    key = f"{timestamp_s}\n{FEISHU_SECRET}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk", "feishu"])
def test_every_kind_of_notice_reaches_each_bot_byte_for_byte_as_documented(
    vendor: Any,
    letters_db: sessionmaker[Session],
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server((200, FEISHU_OK if vendor == "feishu" else b'{"errcode":0}'))
    made = channel(vendor, f"http://127.0.0.1:{server.port}")
    results = deliver(letters_db, made, list(NOTICES.values()))
    assert results == [{made.name: True}] * len(NOTICES)
    for kind in NOTICES:
        got = server.get()
        assert got.headers["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(got.body)
        documented_shape(vendor, body)
        assert got.body == golden(vendor, kind, got.body), kind
        if vendor == "dingtalk":
            stamp = int(FIXED_UNIX * 1000)
            assert got.target == f"{PATHS['dingtalk']}&{dingtalk_query(stamp)}"
        else:
            assert got.target == PATHS[vendor]
        if vendor == "feishu":
            assert body["timestamp"] == str(int(FIXED_UNIX))
            assert body["sign"] == feishu_sign(int(FIXED_UNIX))
    assert dead(letters_db) == []


@pytest.mark.parametrize(("vendor", "fmt"), [("wecom", "text"), ("dingtalk", "text"),
                                             ("feishu", "text")])  # fmt: skip
def test_the_text_formats_are_as_documented_too(
    vendor: Any, fmt: Any, letters_db: sessionmaker[Session],
    recording_server: Callable[..., RecordingServer],
) -> None:  # fmt: skip
    server = recording_server((200, FEISHU_OK if vendor == "feishu" else b'{"errcode":0}'))
    made = channel(vendor, f"http://127.0.0.1:{server.port}", fmt=fmt, signed=False)
    assert deliver(letters_db, made, [NOTICES["fever_alert"]]) == [{made.name: True}]
    got = server.get()
    assert got.target == PATHS[vendor]  # unsigned: no timestamp, no sign
    assert got.body == golden(f"{vendor}-text", "fever_alert", got.body)
    body = json.loads(got.body)
    if vendor == "feishu":
        assert body == {"msg_type": "text", "content": {"text": body["content"]["text"]}}
    else:
        assert body["msgtype"] == "text"
        assert set(body["text"]) == {"content"}
        assert len(body["text"]["content"].encode()) <= 2048


def test_the_sms_gateway_gets_our_documented_protocol(
    letters_db: sessionmaker[Session], sms_gateway: Callable[..., FakeSmsGateway]
) -> None:
    gateway = sms_gateway(SMS_TOKEN)
    made = SmsChannel(
        HttpSmsGateway(f"http://127.0.0.1:{gateway.port}/sms", SMS_TOKEN, timeout_s=5),
        CardMaker("zh-CN", SHANGHAI),
        {"clinic": ["+8613800001111"], "security": ["13900002222"], "approvers": ["13700003333"]},
        limiter=SlidingWindow(100, 60),
        kinds=frozenset(NOTICES),
    )
    sent = list(NOTICES.values())
    assert deliver(letters_db, made, [*sent, VISITOR_CODE]) == [{"sms": True}] * len(sent) + [{}]
    for notice in sent:
        got = gateway.get()
        assert got.target == "/sms"
        assert got.headers["Authorization"] == f"Bearer {SMS_TOKEN}"
        assert got.headers["Idempotency-Key"] == notice.notice_id
        body = json.loads(got.body)
        assert list(body) == ["id", "to", "kind", "title", "fields", "text"]
        to = {"clinic": "+8613800001111", "security": "13900002222", "approvers": "13700003333"}
        assert body["to"] == [to[notice.audience]]
        assert len(body["text"]) <= 268
        assert got.body == golden("sms", notice.kind, got.body)
    assert gateway.count == len(sent)  # the visitor's code went nowhere


def test_a_wrong_sms_token_or_a_refusal_is_a_dead_letter_with_masked_numbers(
    letters_db: sessionmaker[Session], sms_gateway: Callable[..., FakeSmsGateway]
) -> None:
    gateway = sms_gateway(SMS_TOKEN, script=[(200, b'{"accepted":false,"error":"quota"}')])
    good = HttpSmsGateway(f"http://127.0.0.1:{gateway.port}/sms", SMS_TOKEN, timeout_s=5)
    wrong = HttpSmsGateway(f"http://127.0.0.1:{gateway.port}/sms", "not-the-token-at-all",
                           timeout_s=5)  # fmt: skip
    for made in (good, wrong):
        sms = SmsChannel(made, CardMaker("zh-CN", SHANGHAI), {"clinic": ["+8613800001111"]},
                         limiter=SlidingWindow(100, 60))  # fmt: skip
        assert deliver(letters_db, sms, [NOTICES["fever_alert"]], attempts=3) == [{"sms": False}]
    assert gateway.count == 2  # a refusal and a 401 are not retried
    assert [(x.error, x.target, x.attempts) for x in dead(letters_db)] == [
        ("HTTP 401", "+86*******1111", 1),
        ("sms gateway refused: quota", "+86*******1111", 1),
    ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_card_speaks_the_channels_language_from_the_catalogue(lang: Any) -> None:
    maker = CardMaker(lang, SHANGHAI)
    for kind, notice in NOTICES.items():
        card = maker.card(notice)
        words = [card.title, card.action, *(label for label, _value in card.fields)]
        assert card.kind == kind
        assert card.title != maker.word("notify.other")  # drawn for its kind, not generically
        assert not [w for w in words if w.startswith("notify.") or not w], kind
        chinese = [w for w in words if any("\u4e00" <= ch <= "\u9fff" for ch in w)]
        assert chinese == (words if lang == "zh-CN" else []), kind
        assert all("+08:00" in v for label, v in card.fields if "时间" in label or "Time" in label)
