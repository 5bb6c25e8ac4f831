"""The central worker: MQTT in, batches through the processor, decisions out, then ack.

One thread does it all: it reads what the broker sent (the bus runs without a
network thread of its own), takes everything already waiting as one batch
(group commit), runs the processor, publishes the answers straight to the
socket and then acknowledges every message of the batch.  No hand-off between
threads sits on the path of a passage.  A passage is acknowledged to the
broker only once its row is committed; if the process dies before that, the
broker redelivers it (persistent session, clean start off) and the stored
decision makes the retry harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from kernel.bus.mqtt import BrokerAddress, InboundMessage, MqttBus
from kernel.clock import Clock
from schemas.policy import Policy
from schemas.topics import GateChannel, gate_filter, shared
from services.central.processor import BatchProcessor, BatchResult, Incoming
from services.policy.announce import PolicyAnnouncer

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600  # passages wait a week for a central that is down
RETRY_MIN_S = 0.1
RETRY_MAX_S = 5.0
IDLE_POLL_S = 0.2
# Retiring: the session counts as drained after this long with nothing new.
RETIRE_QUIET_S = 2.0
# A periodic task waits for an idle moment, but never longer than this many intervals.
OVERDUE_INTERVALS = 5


class Periodic:
    """Housekeeping the worker thread runs between batches (sealing, policy refresh).

    It runs when the worker is idle and its interval has passed, or regardless
    once it is overdue, so a sustained burst delays it but never starves it.
    """

    def __init__(self, name: str, interval_s: float, run: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.run = run
        self.last = time.monotonic()
        self.failures = 0

    def due(self, now_s: float, *, idle: bool) -> bool:
        waited = now_s - self.last
        return waited >= self.interval_s * (1 if idle else OVERDUE_INTERVALS)

    def __call__(self) -> None:
        self.last = time.monotonic()
        try:
            self.run()
        except Exception:
            self.failures += 1
            log.exception("periodic task %s failed; it runs again next interval", self.name)


class CentralWorker:
    """One decision worker; several may share the passages of a site."""

    def __init__(
        self,
        *,
        address: BrokerAddress,
        processor: BatchProcessor,
        clock: Clock,
        site: str,
        policy: Policy,
        worker_id: str = "1",
        batch_max: int = 500,
        batch_wait_s: float = 0.0,
        announcer: PolicyAnnouncer | None = None,
    ) -> None:
        self.processor = processor
        self.clock = clock
        self.site = site
        self.policy = policy
        # Shared with the snapshot publisher of this process: one writer of the policy topic.
        self.announcer = announcer or PolicyAnnouncer(site, policy)
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        # Filled by the bus's callback, which runs inside poll() on the worker's thread.
        self._pending: list[InboundMessage] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Resources to release after the last batch (the database engine).
        self.on_stop: list[Callable[[], None]] = []
        self.periodic: list[Periodic] = []
        # Told of each batch once it is committed and answered (the gap check).
        self.after_batch: list[Callable[[BatchResult], None]] = []
        self.batches = 0
        self.passages = 0
        # Held while a batch is in hand, so retiring never ends the session mid-batch.
        self._batch_lock = threading.Lock()
        self._passage_filter = shared(gate_filter(site, GateChannel.PASSAGE))
        self.bus = MqttBus(
            address,
            client_id=f"campusgate-central-{site}-{worker_id}",
            on_message=self._pending.append,
            clean_start=False,
            session_expiry_s=SESSION_EXPIRY_S,
            manual_ack=True,
            subscriptions=((self._passage_filter, 1),),
        )

    def start(self) -> None:
        self.bus.connect(network_thread=False)
        self.announce_policy(self.clock.now())
        self._thread = threading.Thread(target=self._run, name="central-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the batch in hand, then disconnect (SIGTERM does this)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.bus.close()
        for release in self.on_stop:
            release()

    def retire(self, quiet_s: float = RETIRE_QUIET_S) -> None:
        """Scale down for good: drain this worker id's session, then make the broker forget it.

        Mosquitto keeps giving an offline session its share of the shared
        subscription; a worker id that will not come back must leave the group, or
        its share waits for it.  This resumes the session, leaves the group (no
        new passages come), decides and commits whatever was queued, and ends the
        session once nothing has arrived for ``quiet_s``.
        """
        self.bus.connect(network_thread=False)
        self.bus.unsubscribe(self._passage_filter)
        self._thread = threading.Thread(target=self._run, name="central-retire", daemon=True)
        self._thread.start()
        seen, quiet_since = -1, time.monotonic()
        while True:
            time.sleep(IDLE_POLL_S)
            with self._batch_lock:
                if self.passages != seen or self._pending:
                    seen, quiet_since = self.passages, time.monotonic()
                    continue
                if time.monotonic() - quiet_since >= quiet_s:
                    self._stop.set()
                    break
        self._thread.join()
        self.bus.close(end_session=True)
        for release in self.on_stop:
            release()

    def announce_policy(self, now: datetime) -> None:
        """Announce the policy in force (with the snapshots last cut), retained."""
        self.announcer.adopt(self.policy)
        self.announcer.announce(self.bus, now)

    def _next_batch(self) -> list[InboundMessage]:
        """What has arrived, plus whatever is already waiting on the socket, up to batch_max."""
        if not self._pending:
            self.bus.poll(IDLE_POLL_S)
            if not self._pending:
                return []
        deadline = time.monotonic() + self.batch_wait_s
        while len(self._pending) < self.batch_max:
            if self.bus.readable():
                self.bus.poll(0)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.bus.poll(remaining)
        batch = self._pending[: self.batch_max]
        del self._pending[: self.batch_max]
        return batch

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._next_batch()
            except Exception:
                log.exception("reading from the broker failed; trying again")
                self._stop.wait(RETRY_MIN_S)
                continue
            if batch:
                with self._batch_lock:
                    try:
                        self._handle(batch)
                    except Exception:
                        # Never let the worker's only thread die.  The batch is
                        # unacknowledged: the broker delivers it again after a
                        # reconnect, the gates re-send it, and the stored decisions
                        # answer it then.
                        log.exception("batch of %d not answered; it comes again", len(batch))
            now_s = time.monotonic()
            for task in self.periodic:
                if task.due(now_s, idle=not batch):
                    task()

    def _pause(self, seconds: float) -> bool:
        """Wait, keeping the connection alive meanwhile; True if asked to stop."""
        end = time.monotonic() + seconds
        while not self._stop.is_set() and (left := end - time.monotonic()) > 0:
            self.bus.poll(min(left, IDLE_POLL_S))
        return self._stop.is_set()

    def _handle(self, batch: list[InboundMessage]) -> None:
        started = time.monotonic()
        incoming = [Incoming(m.topic, m.payload) for m in batch]
        delay = RETRY_MIN_S
        while True:
            try:
                result = self.processor.process(incoming, self.clock.now())
                break
            except Exception:
                # The database is down or refused: keep the batch unacknowledged
                # and try again; the broker keeps redelivery as a backstop.
                log.exception("batch of %d failed; retrying in %.1f s", len(batch), delay)
                if self._pause(delay):
                    return
                delay = min(delay * 2, RETRY_MAX_S)
        for out in result.outgoing:
            self.bus.publish(out.topic, out.payload, qos=out.qos, retain=out.retain)
        for message in batch:
            if message.qos > 0:
                self.bus.ack(message.mid, message.qos)
        self.batches += 1
        self.passages += len(batch)
        result.received = len(batch)
        result.seconds = time.monotonic() - started
        for hook in self.after_batch:
            hook(result)
        if result.rejected:
            log.warning("batch: %d rejected message(s) kept with their reason", result.rejected)
