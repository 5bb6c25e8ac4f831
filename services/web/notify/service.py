"""The notifier: every notice to every channel, with retries, then the dead-letter list.

Delivery runs on the event loop in the background (a request never waits for
it).  A failure that may pass (connection refused, HTTP 5xx/429, SMTP 4xx) is
retried with exponential back-off; one that will not (HTTP 4xx, SMTP 5xx), the
last failed attempt, and any failure nobody foresaw (an exception of any other
kind, a notifier not running) put the notice in ``notification_dead_letters``,
from where an administrator can send it again.  A dead letter that cannot be
written (the database is down) is tried again, then logged whole at CRITICAL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kernel.clock import Clock
from kernel.redact import redact_url
from services.web.notify import store
from services.web.notify.channels import Channel, DeliveryError, Notice

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 30.0
DRAIN_TIMEOUT_S = 5.0
DEAD_LETTER_ATTEMPTS = 5
DEAD_LETTER_BACKOFF_S = 1.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff_s: float

    def delay(self, attempt: int) -> float:
        return min(self.backoff_s * 2.0 ** (attempt - 1), BACKOFF_MAX_S)


def notice_body(notice: Notice) -> str:
    return json.dumps(
        {
            "id": notice.notice_id,
            "kind": notice.kind,
            "audience": notice.audience,
            "subject": notice.subject,
            "text": notice.text,
            "data": notice.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,  # a value JSON has no type for must not lose the notice
    )


def notice_from_body(body: str) -> Notice:
    data = json.loads(body)
    return Notice(
        notice_id=data["id"],
        kind=data["kind"],
        audience=data["audience"],
        subject=data["subject"],
        text=data["text"],
        data=data.get("data", {}),
    )


class Notifier:
    def __init__(
        self,
        channels: list[tuple[Channel, RetryPolicy]],
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.channels = channels
        self._sessions = sessions
        self._clock = clock
        self._sleep = sleep
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self.delivered = 0
        self.dead = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def submit(self, notice: Notice) -> None:
        """From any thread: deliver in the background."""
        if not self._spawn(self.deliver(notice)):
            for channel, _policy in self.channels:
                if channel.target(notice):
                    self._dead_letter(channel, notice, notice_body(notice),
                                      "the notifier was not running", 0)  # fmt: skip

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed():
            work.close()
            log.error("notifier not running: notice kept as a dead letter")
            return False
        future: Future[Any] = asyncio.run_coroutine_threadsafe(work, loop)
        wrapped = asyncio.wrap_future(future, loop=loop)
        loop.call_soon_threadsafe(self._track, wrapped)
        return True

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, notice: Notice) -> dict[str, bool]:
        """Every channel that has a target for this notice; True per channel delivered."""
        body = notice_body(notice)
        wanted = [(c, p) for c, p in self.channels if c.target(notice)]

        async def one(channel: Channel, policy: RetryPolicy) -> bool:
            try:
                return await self._deliver_one(channel, policy, notice, body)
            except Exception:  # never let one channel's trouble keep the notice from the next
                log.exception("%s delivery of %s %s broke", channel.name, notice.kind,
                              notice.notice_id)  # fmt: skip
                return False

        # Side by side: a bot waiting out its rate limit or retrying holds up no other channel.
        done = await asyncio.gather(*(one(c, p) for c, p in wanted))
        return {channel.name: ok for (channel, _policy), ok in zip(wanted, done, strict=True)}

    async def _deliver_one(
        self, channel: Channel, policy: RetryPolicy, notice: Notice, body: str
    ) -> bool:
        error = ""
        attempt = 0
        while attempt < policy.attempts:
            attempt += 1
            try:
                await channel.send(notice, body)
            except Exception as exc:
                failure = exc if isinstance(exc, DeliveryError) else None
                if failure is None:
                    # A failure nobody foresaw (the message could not even be built):
                    # trying again gives the same, so it is a dead letter now.
                    log.exception("%s delivery of %s %s failed unexpectedly", channel.name,
                                  notice.kind, notice.notice_id)  # fmt: skip
                    failure = DeliveryError(f"{type(exc).__name__}: {exc}", retryable=False)
                error = str(failure)
                log.warning(
                    "%s delivery of %s %s failed (attempt %d/%d): %s",
                    channel.name, notice.kind, notice.notice_id, attempt, policy.attempts, error,
                )  # fmt: skip
                if not failure.retryable:
                    break
                if attempt < policy.attempts:
                    await self._sleep(policy.delay(attempt))
                continue
            self.delivered += 1
            return True
        self.dead += 1
        for tried in range(1, DEAD_LETTER_ATTEMPTS + 1):
            try:
                await asyncio.to_thread(self._dead_letter, channel, notice, body, error, attempt)
                return False
            except Exception:
                log.exception("dead letter for %s %s not written (try %d/%d)", notice.kind,
                              notice.notice_id, tried, DEAD_LETTER_ATTEMPTS)  # fmt: skip
                if tried < DEAD_LETTER_ATTEMPTS:
                    await self._sleep(DEAD_LETTER_BACKOFF_S * tried)
        log.critical("notice lost to %s (%s): %s", channel.name, error, body)
        return False

    def _dead_letter(
        self, channel: Channel, notice: Notice, body: str, error: str, attempts: int
    ) -> None:
        with self._sessions.begin() as session:
            store.add_dead_letter(
                session=session,
                notice_id=notice.notice_id,
                channel=channel.name,
                # Shown to administrators: a webhook URL's token stays out of it.
                target=redact_url(channel.target(notice)),
                kind=notice.kind,
                payload=body,
                error=error,
                attempts=attempts,
                now=self._clock.now(),
            )

    async def redeliver(self, letter: store.DeadLetter) -> bool:
        """One more try of a dead letter on its own channel (no retries)."""
        try:
            notice = notice_from_body(letter.payload)
        except (ValueError, KeyError, TypeError):
            log.error("dead letter %d holds no notice; it cannot be sent again", letter.id)
            return False
        for channel, _policy in self.channels:
            if channel.name == letter.channel:
                try:
                    await channel.send(notice, letter.payload)
                except DeliveryError as exc:
                    log.warning("redelivery of dead letter %d failed: %s", letter.id, exc)
                    return False
                return True
        return False

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """At shutdown: let deliveries in flight finish (or give up after the timeout)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)

    async def aclose(self) -> None:
        await self.drain()
        for channel, _policy in self.channels:
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
