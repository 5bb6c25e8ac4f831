"""The central worker's Prometheus metrics and readiness, served by ``campusgate central --http``.

Counted once per batch, on the worker's own thread, from the batch's result
(no lock, no per-passage work): messages received, passages decided by outcome,
redeliveries (a passage already logged, or twice in the batch), rejected
messages, the batch size, and the decision latency: from the batch taken off
the socket to its decisions published, once per passage of the batch.  Read at
scrape time: snapshot versions sent, gates known, readiness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kernel.observe import Check, Counter, Gauge, Histogram, Registry
from kernel.observe.metrics import Sample
from services.central.processor import BatchResult

LATENCY_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


class CentralMetrics:
    def __init__(self) -> None:
        self.registry = Registry()
        add = self.registry.add
        self.received = add(
            Counter("campusgate_passages_received_total", "messages taken from the passage topics")
        )
        self.decided = add(
            Counter(
                "campusgate_passages_decided_total",
                "passages decided and logged, by outcome",
                ["outcome"],
            )
        )
        self.redeliveries = add(
            Counter(
                "campusgate_passages_redelivered_total",
                "passages received again (already logged, or twice in a batch): not logged again",
            )
        )
        self.rejected = add(
            Counter(
                "campusgate_messages_rejected_total",
                "messages that failed validation (kept with their reason)",
            )
        )
        self.latency = add(
            Histogram(
                "campusgate_decision_latency_seconds",
                "batch taken off the socket -> its decisions published, once per passage",
                LATENCY_BUCKETS_S,
            )
        )
        self.batch_size = add(
            Histogram(
                "campusgate_batch_size", "messages per batch (one transaction)", BATCH_BUCKETS
            )
        )
        for outcome in ("admit", "deny", "recheck", "isolate"):
            self.decided.inc(0, outcome)

    def observe(self, result: BatchResult) -> None:
        """After each batch (the worker's ``after_batch`` hook)."""
        self.received.inc(result.received)
        for outcome, count in result.outcomes.items():
            self.decided.inc(count, outcome)
        if result.duplicates:
            self.redeliveries.inc(result.duplicates)
        if result.rejected:
            self.rejected.inc(result.rejected)
        self.batch_size.observe(result.received)
        self.latency.observe(result.seconds, count=max(result.received, 1))

    def add_snapshots(self, sent: Callable[[], int]) -> None:
        self.registry.add(
            Gauge(
                "campusgate_snapshots_sent",
                "gate snapshot versions published by this worker",
                lambda: [((), float(sent()))],
            )
        )

    def add_readiness(self, checks: dict[str, Check]) -> None:
        def ready() -> Iterable[Sample]:
            samples = []
            for name, check in checks.items():
                try:
                    ok = check() is None
                except Exception:
                    ok = False
                samples.append(((name,), float(ok)))
            return samples

        self.registry.add(
            Gauge("campusgate_central_ready", "1 per readiness check that passes", ready, ["check"])
        )
