"""Prometheus metrics in its text exposition format (version 0.0.4), written by hand.

The hot path only adds numbers to a dict under the GIL (a counter is one dict
update per batch, not per passage; a histogram observes a whole batch at once
with ``count``); rendering, at scrape time, copies what it reads.  No lock is
taken on the worker's thread.  Gauges are read at scrape time from a callback,
so a slow source (a database count) never slows the hot path.

Label values are ours (outcomes, gate names, device names): never a person's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LabelValues = tuple[str, ...]
Sample = tuple[LabelValues, float]


def _escape(value: str) -> str:
    """A label value on one line: the format's escapes, and any other control or line
    separator character (a gate names its own devices) shown as U+FFFD."""
    value = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in value)


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        if not NAME_RE.match(name) or not all(NAME_RE.match(label) for label in labels):
            raise ValueError(f"bad metric or label name: {name} {labels}")
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def lines(self) -> list[str]:
        raise NotImplementedError


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {}
        if not labels:
            self._values[()] = 0.0

    def inc(self, amount: float = 1.0, *labels: str) -> None:
        self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def lines(self) -> list[str]:
        items = list(self._values.items())  # one C-level copy: the worker may be adding
        return [
            f"{self.name}{_labels(self.labels, key)} {_number(value)}"
            for key, value in sorted(items)
        ]


class Gauge(_Metric):
    """A value read when scraped: ``read()`` returns ``[(label values, value), ...]``.

    ``kind="counter"`` for a running count kept elsewhere (a gate's own stats).
    """

    def __init__(
        self,
        name: str,
        help_text: str,
        read: Callable[[], Iterable[Sample]],
        labels: Sequence[str] = (),
        *,
        kind: str = "gauge",
    ) -> None:
        super().__init__(name, help_text, labels)
        self.read = read
        self.kind = kind

    def lines(self) -> list[str]:
        return [
            f"{self.name}{_labels(self.labels, key)} {_number(value)}"
            for key, value in sorted(self.read())
        ]


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        super().__init__(name, help_text)
        self.buckets = tuple(sorted(buckets))
        self._counts = [0] * (len(self.buckets) + 1)  # the last one is +Inf
        self._sum = 0.0

    def observe(self, value: float, count: int = 1) -> None:
        """``count`` observations of ``value`` (a batch: one call for all of its passages)."""
        index = len(self.buckets)
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                index = i
                break
        self._counts[index] += count
        self._sum += value * count

    @property
    def count(self) -> int:
        return sum(self._counts)

    def lines(self) -> list[str]:
        counts, total = list(self._counts), self._sum
        out, running = [], 0
        for bound, count in zip([*self.buckets, math.inf], counts, strict=True):
            running += count
            out.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {running}')
        out += [f"{self.name}_sum {_number(total)}", f"{self.name}_count {running}"]
        return out


M = TypeVar("M", bound=_Metric)


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def add(self, metric: M) -> M:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} registered twice")
        self._metrics[metric.name] = metric
        return metric

    def names(self) -> list[str]:
        return sorted(self._metrics)

    def render(self) -> str:
        lines: list[str] = []
        for metric in list(self._metrics.values()):
            lines += metric.header()
            lines += metric.lines()
        return "\n".join(lines) + "\n"
