"""The request bodies of WeCom, DingTalk and Feishu bots, and their signatures (pure).

Each builder turns a :class:`Card` into the JSON its vendor documents; the bytes are
``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` in UTF-8, so one card
always gives the same bytes (the golden files of ``tests/web/test_chat_channels.py``).

- WeCom (企业微信) group bot, 群机器人配置说明:
  https://developer.work.weixin.qq.com/document/path/91770 -
  ``{"msgtype":"markdown","markdown":{"content":...}}`` (content at most 4096 bytes)
  or ``{"msgtype":"text","text":{"content":...}}`` (at most 2048 bytes).
- DingTalk (钉钉) custom robot, https://open.dingtalk.com/document/robots/custom-robot-access
  and https://open.dingtalk.com/document/development/robot-message-type -
  ``{"msgtype":"markdown","markdown":{"title":...,"text":...},"at":{...}}`` or
  ``msgtype: text``; signed (加签,
  https://open.dingtalk.com/document/robots/customize-robot-security-settings) by
  ``timestamp`` (ms) and ``sign`` = urlEncode(base64(HmacSHA256(key=secret,
  msg="<timestamp>\\n<secret>"))) in the URL's query.
- Feishu (飞书) custom bot, https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot -
  ``{"msg_type":"post","content":{"post":{"zh_cn":{"title":...,"content":[[{"tag":"text",
  "text":...}]]}}}}`` or ``{"msg_type":"text","content":{"text":...}}`` (request body
  at most 20 KB); with 签名校验 the body starts with ``"timestamp"`` (s) and ``"sign"`` =
  base64(HmacSHA256(key="<timestamp>\\n<secret>", msg="")).

Nobody is ever mentioned: WeCom bodies carry no ``mentioned_list``, DingTalk's ``at``
says ``isAtAll: false``, and every value is inert (``cards.inert``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Literal

from services.web.notify.cards import Card

Vendor = Literal["wecom", "dingtalk", "feishu"]
Format = Literal["markdown", "text", "post"]
FORMATS: dict[Vendor, tuple[Format, ...]] = {
    "wecom": ("markdown", "text"),  # the first is the default
    "dingtalk": ("markdown", "text"),
    "feishu": ("post", "text"),
}
# Bytes of the message's text a vendor takes (WeCom's documented limits; DingTalk names
# none, so ours; Feishu's 20 KB are the whole body, the rest is its envelope).
CONTENT_BYTES: dict[tuple[Vendor, Format], int] = {
    ("wecom", "markdown"): 4096,
    ("wecom", "text"): 2048,
    ("dingtalk", "markdown"): 4096,
    ("dingtalk", "text"): 4096,
    ("feishu", "post"): 16_000,
    ("feishu", "text"): 16_000,
}
CUT = "…"


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def heading(card: Card, brand: str) -> str:
    return f"【{brand}】{card.title}"


def _lines(card: Card, prefix: str) -> list[str]:
    return [f"{prefix}{label}：{value}" for label, value in card.fields]


def fit(parts: list[str], tail: list[str], join: str, limit: int, cut_note: str) -> str:
    """``parts`` then ``tail`` joined, dropping parts from the end (and saying so) to fit."""
    kept = list(parts)
    text = join.join(kept + tail)
    while len(text.encode()) > limit and len(kept) > 1:
        kept.pop()
        text = join.join([*kept, cut_note, *tail])
    while len(text.encode()) > limit:  # one line alone too long: cut it by characters
        text = text[: max(0, len(text) - 64)] + CUT
    return text


def wecom(card: Card, fmt: Format, brand: str, cut_note: str) -> dict[str, Any]:
    limit = CONTENT_BYTES["wecom", fmt]
    if fmt == "text":
        content = fit([heading(card, brand), *_lines(card, "")], [card.action] if card.action
                      else [], "\n", limit, cut_note)  # fmt: skip
        return {"msgtype": "text", "text": {"content": content}}
    title = f"**{heading(card, brand)}**"
    if card.urgent:
        title = f'<font color="warning">{title}</font>'
    tail = [f'<font color="comment">{card.action}</font>'] if card.action else []
    content = fit([title, *_lines(card, ">")], tail, "\n", limit, cut_note)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk(card: Card, fmt: Format, brand: str, cut_note: str) -> dict[str, Any]:
    limit = CONTENT_BYTES["dingtalk", fmt]
    at = {"isAtAll": False}
    if fmt == "text":
        content = fit([heading(card, brand), *_lines(card, "")], [card.action] if card.action
                      else [], "\n", limit, cut_note)  # fmt: skip
        return {"msgtype": "text", "text": {"content": content}, "at": at}
    # DingTalk's markdown needs a blank line (or two trailing spaces) to break a line.
    text = fit([f"#### {heading(card, brand)}", *_lines(card, "- ")],
               [card.action] if card.action else [], "\n\n", limit, cut_note)  # fmt: skip
    return {"msgtype": "markdown", "markdown": {"title": heading(card, brand), "text": text},
            "at": at}  # fmt: skip


def feishu(card: Card, fmt: Format, brand: str, cut_note: str, lang: str) -> dict[str, Any]:
    limit = CONTENT_BYTES["feishu", fmt]
    tail = [card.action] if card.action else []
    if fmt == "text":
        text = fit([heading(card, brand), *_lines(card, "")], tail, "\n", limit, cut_note)
        return {"msg_type": "text", "content": {"text": text}}
    lines = fit(_lines(card, ""), tail, "\n", limit, cut_note).split("\n")
    rows = [[{"tag": "text", "text": line}] for line in lines]
    post = {"title": heading(card, brand), "content": rows}
    locale = "zh_cn" if lang == "zh-CN" else "en_us"
    return {"msg_type": "post", "content": {"post": {locale: post}}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 of HmacSHA256(key=secret, msg="<timestamp>\\n<secret>")."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: base64 of HmacSHA256(key="<timestamp>\\n<secret>", msg=b"")."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
