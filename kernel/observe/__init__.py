"""What operators see of a running process: Prometheus metrics (:mod:`.metrics`) and a small
HTTP endpoint with ``/healthz``, ``/readyz`` and ``/metrics`` (:mod:`.http`).

Both sides use it (the central worker, the gate agent), so it is standard library only.
"""

from kernel.observe.http import Check, ObserveServer
from kernel.observe.metrics import Counter, Gauge, Histogram, Registry

__all__ = ["Check", "Counter", "Gauge", "Histogram", "ObserveServer", "Registry"]
