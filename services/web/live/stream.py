"""Server-Sent Events for one browser: batches of events, heartbeats, reload signals.

Whatever is queued when the browser is ready for more goes out as one
``batch`` event (a JSON array), so a burst costs one write, not one per event,
and a quiet stream costs nothing but a heartbeat comment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from kernel.clock import Clock
from services.web.live.hub import Hub, Reload, Subscriber

HEARTBEAT_S = 15.0
BATCH_MAX = 500
RETRY_MS = 2000


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


RELOAD_EVENT = _event("reload", "{}")


async def sse_stream(
    hub: Hub, subscriber: Subscriber, *, clock: Clock, expires_at: datetime, hello: str
) -> AsyncIterator[bytes]:
    """The SSE byte stream of one subscriber, until it disconnects or its session ends."""
    try:
        yield f"retry: {RETRY_MS}\n\n".encode() + _event("hello", hello)
        queue = subscriber.queue
        while True:
            remaining = (expires_at - clock.now()).total_seconds()
            if remaining <= 0:
                yield RELOAD_EVENT  # the session ended: the page goes back to sign-in
                return
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    item = await asyncio.wait_for(queue.get(), min(HEARTBEAT_S, remaining))
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
            if isinstance(item, Reload):
                yield RELOAD_EVENT
                return
            person_ids = subscriber.person_ids
            batch = [item.json_for(person_ids=person_ids)]
            reload = False
            while len(batch) < BATCH_MAX:
                try:
                    more = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if isinstance(more, Reload):
                    reload = True
                    break
                batch.append(more.json_for(person_ids=person_ids))
            subscriber.delivered += len(batch)
            yield _event("batch", "[" + ",".join(batch) + "]")
            if reload:
                yield RELOAD_EVENT
                return
    finally:
        with contextlib.suppress(Exception):
            hub.unsubscribe(subscriber)
