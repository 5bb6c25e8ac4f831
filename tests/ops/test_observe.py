"""kernel.observe: the Prometheus text format written by hand, and the health endpoint."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import ConfigError
from kernel.observe import Counter, Gauge, Histogram, ObserveServer, Registry
from kernel.observe.http import parse_listen

# One sample line of the text exposition format: name, optional labels, a number.
SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? '
    r"(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$"
)


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out


def test_counters_gauges_and_histograms_render_as_prometheus_reads_them() -> None:
    registry = Registry()
    decided = registry.add(Counter("cg_decided_total", "decided", ["outcome"]))
    latency = registry.add(Histogram("cg_latency_seconds", "latency", [0.001, 0.01]))
    registry.add(Gauge("cg_outbox", "kept", lambda: [(("north-1",), 3.0)], ["gate"]))
    decided.inc(2, "admit")
    decided.inc(1, "isolate")
    latency.observe(0.0005, count=3)
    latency.observe(0.5)
    text = registry.render()
    assert "# TYPE cg_decided_total counter" in text
    assert "# TYPE cg_latency_seconds histogram" in text
    values = samples(text)
    assert values['cg_decided_total{outcome="admit"}'] == 2
    assert values['cg_decided_total{outcome="isolate"}'] == 1
    assert values['cg_latency_seconds_bucket{le="0.001"}'] == 3
    assert values['cg_latency_seconds_bucket{le="0.01"}'] == 3  # cumulative
    assert values['cg_latency_seconds_bucket{le="+Inf"}'] == 4
    assert values["cg_latency_seconds_count"] == 4
    assert values["cg_latency_seconds_sum"] == pytest.approx(0.5015)
    assert values['cg_outbox{gate="north-1"}'] == 3


@given(st.text(max_size=40))
def test_any_label_value_stays_one_well_formed_line(value: str) -> None:
    registry = Registry()
    registry.add(Gauge("cg_device_state", "x", lambda: [((value,), 1.0)], ["device"]))
    lines = [line for line in registry.render().splitlines() if not line.startswith("#")]
    assert len(lines) == 1
    assert SAMPLE.match(lines[0]), lines[0]


def test_names_are_checked_and_registered_once() -> None:
    with pytest.raises(ValueError, match="bad metric"):
        Counter("cg bad", "x")
    registry = Registry()
    registry.add(Counter("cg_x_total", "x"))
    with pytest.raises(ValueError, match="twice"):
        registry.add(Counter("cg_x_total", "x"))


def test_health_ready_and_metrics_over_http() -> None:
    registry = Registry()
    registry.add(Counter("cg_x_total", "x")).inc(5)
    state: dict[str, str | None] = {"database": None}

    def broken() -> str | None:
        raise RuntimeError("connection refused\nsecond line")

    server = ObserveServer(
        "127.0.0.1:0", registry, {"database": lambda: state["database"], "keys": lambda: None}
    ).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{base}/healthz").text == "ok\n"
        assert httpx.get(f"{base}/readyz").status_code == 200
        state["database"] = "no answer"
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503
        assert not_ready.text == "database: no answer\n"
        server.checks["keys"] = broken
        assert "keys: RuntimeError: connection refused" in httpx.get(f"{base}/readyz").text
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert samples(metrics.text)["cg_x_total"] == 5
        assert httpx.get(f"{base}/").status_code == 404
        assert httpx.post(f"{base}/metrics").status_code == 501
    finally:
        server.stop()


def test_listen_addresses_are_checked() -> None:
    assert parse_listen("0.0.0.0:9100") == ("0.0.0.0", 9100)  # noqa: S104
    assert parse_listen("[::1]:9100") == ("::1", 9100)
    for bad in ("9100", "host:", "host:99999", ":9100"):
        with pytest.raises(ConfigError):
            parse_listen(bad)
