"""Fan-out of live events to browsers, each with a bounded queue.

MQTT callbacks arrive on paho's thread; :meth:`Hub.publish_threadsafe` hands
them to the event loop in batches (one wake-up per burst, not per message).
Each subscriber has a bounded :class:`asyncio.Queue`: a browser that cannot
keep up is not allowed to grow the server's memory; its queue is dropped and it
gets a single ``reload`` signal instead, after which it reloads the page.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from dataclasses import dataclass, field

from services.web.live.events import LiveEvent

log = logging.getLogger(__name__)


class Reload:
    """The signal a subscriber gets instead of the events it was too slow for."""


RELOAD = Reload()
QueueItem = LiveEvent | Reload


@dataclass(eq=False)
class Subscriber:
    kinds: frozenset[str]
    gates: frozenset[str] | None  # None: every gate
    queue: asyncio.Queue[QueueItem]
    person_ids: bool = True  # False: the role's masking view hides person ids
    overflowed: bool = False
    delivered: int = 0

    def wants(self, event: LiveEvent) -> bool:
        if event.kind not in self.kinds:
            return False
        return self.gates is None or event.gate is None or event.gate in self.gates


@dataclass
class HubStats:
    subscribers: int = 0
    events_in: int = 0
    overflows: int = 0
    max_queued: int = 0
    queued: list[int] = field(default_factory=list)


class Hub:
    def __init__(self, queue_max: int) -> None:
        self.queue_max = queue_max
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: collections.deque[LiveEvent] = collections.deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self.events_in = 0
        self.overflows = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish_threadsafe(self, event: LiveEvent) -> None:
        """From any thread (paho's): queue the event and wake the loop once per burst."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with self._lock:
            self._pending.append(event)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            loop.call_soon_threadsafe(self._drain_pending)
        except RuntimeError:  # the loop closed under us at shutdown
            with self._lock:
                self._scheduled = False

    def _drain_pending(self) -> None:
        with self._lock:
            events = list(self._pending)
            self._pending.clear()
            self._scheduled = False
        for event in events:
            self.publish(event)

    def publish(self, event: LiveEvent) -> None:
        """On the event loop: offer the event to every subscriber that wants it."""
        self.events_in += 1
        for subscriber in self._subscribers:
            if subscriber.overflowed or not subscriber.wants(event):
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._overflow(subscriber)

    def _overflow(self, subscriber: Subscriber) -> None:
        subscriber.overflowed = True
        self.overflows += 1
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(RELOAD)
        log.warning("a live client fell %d events behind: told to reload", self.queue_max)

    def subscribe(
        self, kinds: frozenset[str], gates: frozenset[str] | None, *, person_ids: bool = True
    ) -> Subscriber:
        subscriber = Subscriber(kinds, gates, asyncio.Queue(self.queue_max), person_ids)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def close_all(self) -> None:
        """At shutdown: tell every browser to reconnect (it will find the next process)."""
        for subscriber in list(self._subscribers):
            if not subscriber.overflowed:
                subscriber.overflowed = True
                while not subscriber.queue.empty():
                    subscriber.queue.get_nowait()
                subscriber.queue.put_nowait(RELOAD)

    def stats(self) -> HubStats:
        queued = [s.queue.qsize() for s in self._subscribers]
        return HubStats(
            subscribers=len(queued),
            events_in=self.events_in,
            overflows=self.overflows,
            max_queued=max(queued, default=0),
            queued=queued,
        )
