"""Delivery channels: a signed webhook (httpx) and SMTP e-mail (smtplib on a thread).

The webhook body is JSON; ``X-Campusgate-Signature: sha256=<hex>`` is the
HMAC-SHA256 with the shared secret of ``<X-Campusgate-Timestamp>.<body>``, so a
relay (WeChat Work / DingTalk style) can check origin and freshness with
:func:`verify_signature`.  ``X-Campusgate-Delivery`` is the notice id: the same
on every retry, so the relay can drop duplicates.

Text that reaches a header (an e-mail's subject names the person: a visitor
types their own name) passes :func:`header_text` first: line breaks and other
control characters become spaces, so nobody can add a header (``Bcc:``) or make
the message unbuildable, and the alert still goes out.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

SIGNATURE_HEADER = "X-Campusgate-Signature"
TIMESTAMP_HEADER = "X-Campusgate-Timestamp"
DELIVERY_HEADER = "X-Campusgate-Delivery"
SIGNATURE_TOLERANCE_S = 300
RETRYABLE_STATUS = frozenset({408, 425, 429})
# httpx logs every request's URL at INFO, and a bot's URL holds its key (``?key=``,
# ``?access_token=``, Feishu's path): its own logger says warnings only.
logging.getLogger("httpx").setLevel(logging.WARNING)
# An e-mail subject longer than this is cut (RFC 5322 suggests 78 characters a line; the
# header is folded, but a name pasted a thousand times is not news for the clinic).
MAX_HEADER_CHARS = 200


def header_text(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """``value`` on one line: control characters, line and paragraph separators -> spaces."""
    flat = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Notice:
    """One thing to tell people: a fever alert for the clinic, an escalation for security."""

    notice_id: str
    # fever_alert | escalation | symptoms | checkin_reminder | walkin | incident | lockdown |
    # release | visitor_code (cards.py draws each for chat groups and SMS)
    kind: str
    audience: str  # clinic | security | approvers | visitor (a visitor's own address only)
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A channel failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    name: str

    def target(self, notice: Notice) -> str:
        """Where this notice goes (URL, addresses); empty when it goes nowhere."""
        ...

    async def send(self, notice: Notice, body: str) -> None:
        """Deliver once or raise :class:`DeliveryError`."""
        ...


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: bytes, timestamp: str, body: bytes, signature: str, now_unix: float
) -> bool:
    """What a receiving relay checks: the signature, and that the timestamp is fresh."""
    try:
        fresh = abs(now_unix - int(timestamp)) <= SIGNATURE_TOLERANCE_S
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        timeout_s: float,
        clock_unix: Any,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self._clock_unix = clock_unix
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    def target(self, notice: Notice) -> str:
        return self.url

    async def send(self, notice: Notice, body: str) -> None:
        raw = body.encode()
        timestamp = str(int(self._clock_unix()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, raw),
            DELIVERY_HEADER: header_text(notice.notice_id),
        }
        try:
            response = await self._client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
            raise DeliveryError(f"HTTP {response.status_code}", retryable=retryable)

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    sender: str
    recipients: dict[str, list[str]]  # audience -> addresses
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0


class EmailChannel:
    name = "email"

    def __init__(self, target: SmtpTarget) -> None:
        self._target = target

    def target(self, notice: Notice) -> str:
        return ", ".join(self._recipients(notice))

    def _recipients(self, notice: Notice) -> list[str]:
        """The notice's own addressees (a visitor's code: ``data["to"]``), else its audience's."""
        own = notice.data.get("to")
        if isinstance(own, list) and own and all(isinstance(a, str) for a in own):
            return list(own)
        return self._target.recipients.get(notice.audience, [])

    async def send(self, notice: Notice, body: str) -> None:
        recipients = self._recipients(notice)
        if not recipients:
            return
        message = EmailMessage()
        message["From"] = header_text(self._target.sender)
        message["To"] = header_text(", ".join(recipients), limit=10_000)
        message["Subject"] = header_text(notice.subject)
        message["Message-ID"] = f"<{header_text(notice.notice_id)}@campusgate>"
        message.set_content(notice.text)
        await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        target = self._target
        try:
            with smtplib.SMTP(target.host, target.port, timeout=target.timeout_s) as smtp:
                if target.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if target.username is not None:
                    smtp.login(target.username, target.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # 4xx: the server asks us to come back later; 5xx: it refuses for good.
            raise DeliveryError(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
