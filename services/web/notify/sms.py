"""Text messages to phones through an SMS gateway: a Protocol, and our small HTTP one.

A real provider (Aliyun, Tencent Cloud, a campus's own SMS platform) is reached by an
adapter implementing :class:`SmsGateway`; most want a pre-approved template and its
parameters, so a message carries its ``kind``, ``title`` and ``fields`` besides the
finished ``text``.  :class:`HttpSmsGateway` speaks campusgate's own protocol, which a
relay in front of any provider can implement (docs/operations.md, "SMS gateway"):

    POST <url>
    Authorization: Bearer <token>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <id>          (the same on every retry: drop duplicates)

    {"id": "...", "to": ["+8613800000000"], "kind": "fever_alert",
     "title": "发热告警", "fields": [["门岗", "north-1"], ...], "text": "【校园门禁】..."}

The gateway answers 2xx with ``{"accepted": true}`` once it has taken the message,
or ``{"accepted": false, "error": "..."}`` when it refuses it (a failure, not
retried); HTTP 429 and 5xx are retried, other statuses are not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from kernel.masking import mask_phone
from kernel.redact import redact_url
from services.web.notify.cards import CARD_KINDS, CardMaker, inert
from services.web.notify.channels import RETRYABLE_STATUS, DeliveryError, Notice, header_text
from services.web.notify.limits import SlidingWindow

# A text message's length (characters): a long SMS is split in 67-character parts by
# the carrier and paid per part; four parts say all a card says.
SMS_CHARS = 268
ANSWER_BYTES = 4096


@dataclass(frozen=True)
class SmsMessage:
    id: str
    to: tuple[str, ...]
    kind: str
    title: str
    fields: tuple[tuple[str, str], ...]
    text: str


class SmsGateway(Protocol):
    async def send_sms(self, message: SmsMessage) -> None:
        """Hand the message over once, or raise :class:`DeliveryError`."""
        ...

    async def aclose(self) -> None: ...


class HttpSmsGateway:
    """campusgate's SMS protocol (module docstring) over HTTP."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.shown_url = redact_url(url)
        self._token = token
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def send_sms(self, message: SmsMessage) -> None:
        body = {
            "id": message.id,
            "to": list(message.to),
            "kind": message.kind,
            "title": message.title,
            "fields": [list(f) for f in message.fields],
            "text": message.text,
        }
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": header_text(message.id),
        }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = await self._client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__} ({self.shown_url})", retryable=True) from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
            raise DeliveryError(f"HTTP {response.status_code}", retryable=retryable)
        try:
            answer = json.loads(response.content[:ANSWER_BYTES])
        except ValueError:
            raise DeliveryError("sms: an answer that is not JSON", retryable=True) from None
        if not isinstance(answer, dict) or answer.get("accepted") is not True:
            said = inert(answer.get("error", "") if isinstance(answer, dict) else "", 200)
            raise DeliveryError(f"sms gateway refused: {said}", retryable=False)

    async def aclose(self) -> None:
        await self._client.aclose()


def sms_text(maker: CardMaker, notice: Notice) -> tuple[str, tuple[tuple[str, str], ...], str]:
    """Title, fields and the one text of a notice as an SMS (bounded, one paragraph)."""
    card = maker.card(notice)
    brand = maker.word("notify.brand")
    said = "；".join(f"{label} {value}" for label, value in card.fields)
    text = f"【{brand}】{card.title}：{said}。{card.action}"
    if len(text) > SMS_CHARS:
        text = text[: SMS_CHARS - 1] + "…"
    return card.title, card.fields, text


class SmsChannel:
    """Notices of some audiences to phone numbers, through a gateway."""

    name = "sms"

    def __init__(
        self,
        gateway: SmsGateway,
        maker: CardMaker,
        recipients: Mapping[str, list[str]],
        *,
        limiter: SlidingWindow,
        kinds: frozenset[str] = CARD_KINDS,
    ) -> None:
        self.gateway = gateway
        self.maker = maker
        self.recipients = {a: list(n) for a, n in recipients.items() if n}
        self.limiter = limiter
        self.kinds = kinds

    def target(self, notice: Notice) -> str:
        """The numbers, masked (a dead letter is read by administrators)."""
        return self.shown(notice.audience) if notice.kind in self.kinds else ""

    def shown(self, audience: str) -> str:
        return ", ".join(mask_phone(n) for n in self.recipients.get(audience, []))

    async def send(self, notice: Notice, body: str) -> None:
        numbers = tuple(self.recipients.get(notice.audience, []))
        if not numbers:  # the kinds are chosen by target(); a test message goes anyway
            return
        title, fields, text = sms_text(self.maker, notice)
        await self.limiter.acquire()
        message = SmsMessage(id=notice.notice_id, to=numbers, kind=notice.kind, title=title,
                             fields=fields, text=text)  # fmt: skip
        await self.gateway.send_sms(message)

    async def aclose(self) -> None:
        await self.gateway.aclose()
