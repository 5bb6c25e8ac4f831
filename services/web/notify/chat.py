"""Chat-group channels: a WeCom, DingTalk or Feishu bot per group, each for some audiences.

A :class:`ChatChannel` takes the notices of its audiences (``clinic``, ``security``,
``approvers``; never a visitor's own code) of the kinds it is for, draws each as a
card in its language and the site's zone, builds its vendor's body
(``formats.py``), waits for its rate limit, signs (DingTalk in the query, Feishu in
the body) and posts.  The vendors answer HTTP 200 even when they refuse: an answer
whose ``errcode`` (WeCom, DingTalk) or ``code`` (Feishu) is not 0 is a failure, a
configuration error (wrong key, bad signature, missing keyword) at once for the dead
letters, anything else (rate limited, busy, unknown) retried first.

The webhook URL holds the bot's key (``?key=``, ``?access_token=``, Feishu's path):
it is kept as a secret, and what a dead letter, a log line or an error shows is
:func:`kernel.redact.redact_url` of it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx

from kernel.redact import redact_url
from services.web.notify import formats
from services.web.notify.cards import CARD_KINDS, CardMaker, inert
from services.web.notify.channels import RETRYABLE_STATUS, DeliveryError, Notice
from services.web.notify.formats import Format, Vendor
from services.web.notify.limits import Limits, SlidingWindow

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=utf-8"
ANSWER_BYTES = 4096  # of a vendor's answer read into an error message (then inert)
# Answers that say the configuration is wrong: trying again cannot help.
PERMANENT: dict[Vendor, frozenset[int]] = {
    "wecom": frozenset({93000, 93004, 93008}),  # invalid webhook key, robot removed, ...
    "dingtalk": frozenset({300001, 310000, 400101, 400102}),  # token, 加签/keyword/IP, stopped
    "feishu": frozenset({9499, 19001, 19021, 19022, 19024}),  # bad request, sign, IP, keyword
}


@dataclass(frozen=True)
class Bot:
    """One configured group bot (its URL and signing secret are secrets)."""

    name: str
    vendor: Vendor
    url: str
    audiences: frozenset[str]
    kinds: frozenset[str] = CARD_KINDS
    fmt: Format | None = None
    secret: str | None = None
    brand: str = ""
    # Only notices about these host units (a walk-in for one unit's approvers' group).
    units: frozenset[str] | None = None


class ChatChannel:
    def __init__(
        self,
        bot: Bot,
        maker: CardMaker,
        *,
        limiter: SlidingWindow | Limits,
        timeout_s: float,
        clock_unix: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = bot.name
        self.bot = bot
        self.fmt: Format = bot.fmt or formats.FORMATS[bot.vendor][0]
        if self.fmt not in formats.FORMATS[bot.vendor]:
            raise ValueError(f"{bot.vendor} takes no {self.fmt!r} messages")
        self.maker = maker
        self.limiter = limiter
        self._clock_unix = clock_unix
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self.shown_url = redact_url(bot.url)

    def target(self, notice: Notice) -> str:
        wanted = notice.audience in self.bot.audiences and notice.kind in self.bot.kinds
        if self.bot.units is not None:
            wanted = wanted and notice.data.get("unit") in self.bot.units
        return self.shown_url if wanted else ""

    def body(self, notice: Notice, now_unix: float) -> tuple[str, bytes]:
        """The URL (signed for DingTalk) and the body of this notice at ``now_unix``."""
        card = self.maker.card(notice)
        brand = self.bot.brand or self.maker.word("notify.brand")
        cut = self.maker.word("notify.cut")
        vendor, url, secret = self.bot.vendor, self.bot.url, self.bot.secret
        if vendor == "wecom":
            return url, formats.encode(formats.wecom(card, self.fmt, brand, cut))
        if vendor == "dingtalk":
            payload = formats.dingtalk(card, self.fmt, brand, cut)
            if secret:
                stamp = int(now_unix * 1000)
                sign = quote_plus(formats.dingtalk_sign(secret, stamp))
                url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
            return url, formats.encode(payload)
        payload = formats.feishu(card, self.fmt, brand, cut, self.maker.lang)
        if secret:
            stamp = int(now_unix)
            payload = {"timestamp": str(stamp), "sign": formats.feishu_sign(secret, stamp),
                       **payload}  # fmt: skip
        return url, formats.encode(payload)

    async def send(self, notice: Notice, body: str) -> None:
        await self.limiter.acquire()
        url, raw = self.body(notice, self._clock_unix())
        try:
            response = await self._client.post(
                url, content=raw, headers={"Content-Type": CONTENT_TYPE}
            )
        except httpx.HTTPError as exc:
            # httpx's messages may name the URL: only its type and the redacted URL here.
            raise DeliveryError(f"{type(exc).__name__} ({self.shown_url})", retryable=True) from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
            raise DeliveryError(f"HTTP {response.status_code}", retryable=retryable)
        self.check_answer(response.content[:ANSWER_BYTES])

    def check_answer(self, answer: bytes) -> None:
        """Raise unless the vendor's answer says 0 (``errcode`` or ``code``)."""
        vendor = self.bot.vendor
        try:
            data = json.loads(answer)
        except ValueError:
            raise DeliveryError(f"{vendor}: an answer that is not JSON", retryable=True) from None
        key, words = ("code", "msg") if vendor == "feishu" else ("errcode", "errmsg")
        code = data.get(key) if isinstance(data, dict) else None
        if code == 0:
            return
        said = inert(data.get(words, "") if isinstance(data, dict) else "", 200)
        if not isinstance(code, int):
            raise DeliveryError(f"{vendor}: an answer without {key}", retryable=True)
        raise DeliveryError(f"{vendor} {key} {code}: {said}",
                            retryable=code not in PERMANENT[vendor])  # fmt: skip

    async def aclose(self) -> None:
        await self._client.aclose()
