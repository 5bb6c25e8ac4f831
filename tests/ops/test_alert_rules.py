"""deploy/prometheus.yml and deploy/alerts.yml: every rule names metrics campusgate exports,
the scrape targets are the ports the compose file serves them on; promtool where installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from gateway.agent.config import AgentStats
from gateway.agent.observe import gate_registry
from services.central.metrics import CentralMetrics
from services.web.observe import web_registry
from tests.fixtures.deploy import ROOT

ALERTS = ROOT / "deploy/alerts.yml"
PROMETHEUS = ROOT / "deploy/prometheus.yml"
# Made by Prometheus itself for every target.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exported() -> set[str]:
    central = CentralMetrics()
    central.add_snapshots(lambda: 0)
    central.add_readiness({})
    web = web_registry(SimpleNamespace(site="main"))  # type: ignore[arg-type]
    gate = gate_registry(SimpleNamespace(stats=AgentStats()))  # type: ignore[arg-type]
    names = set(central.registry.names()) | set(web.names()) | set(gate.names())
    return names | {n + s for n in names for s in HISTOGRAM_SUFFIXES}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """Identifiers of an expression that name series: not functions, keywords or labels."""
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", without_ranges))
    return {n for n in names if n.startswith("campusgate_") or n in PROMETHEUS_OWN}


def test_every_alert_names_only_exported_metrics() -> None:
    known = exported() | PROMETHEUS_OWN
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= known, (rule["alert"], names - known)


def test_the_alerts_the_operators_asked_for_are_there() -> None:
    by_name = {rule["alert"]: rule for rule in rules()}
    assert by_name["GateOffline"]["for"] == "1m"
    assert "campusgate_gate_online" in by_name["GateOffline"]["expr"]
    assert "campusgate_gate_outbox" in by_name["GateOutboxGrowing"]["expr"]
    assert 'device="thermometer"' in by_name["ThermometerDegraded"]["expr"]
    assert "campusgate_central_ready" in by_name["CentralNotReady"]["expr"]


def test_the_check_sees_a_metric_nobody_exports() -> None:
    assert metric_names("rate(campusgate_nope_total[5m]) > 0") == {"campusgate_nope_total"}
    assert "campusgate_nope_total" not in exported()


def test_scrape_targets_are_where_compose_serves_metrics() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    central = jobs["campusgate-central"]["dns_sd_configs"][0]
    assert central["names"] == ["central"]
    assert f"0.0.0.0:{central['port']}" in compose["services"]["central"]["command"]
    web_target = jobs["campusgate-web"]["static_configs"][0]["targets"][0]
    host, port = web_target.split(":")
    assert f"0.0.0.0:{port}" in compose["services"][host]["command"]
    mounts = compose["services"]["prometheus"]["volumes"]
    assert any(m.startswith("./deploy/alerts.yml:") for m in mounts)
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed here")
def test_promtool_accepts_the_files(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"  # the rules where this machine has them
    config.write_text(PROMETHEUS.read_text().replace("/etc/prometheus/alerts.yml", str(ALERTS)))
    for command in (["check", "rules", str(ALERTS)], ["check", "config", str(config)]):
        result = subprocess.run(["promtool", *command], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
