"""Every Mosquitto configuration the project writes carries the required settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.bus.mqtt import parse_broker_url
from kernel.errors import ConfigError
from services.broker_admin.local_broker import REQUIRED_SETTINGS, render_config

ROOT = Path(__file__).resolve().parents[2]


def _settings(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}


def test_generated_config_has_the_required_settings() -> None:
    assert set(REQUIRED_SETTINGS) <= _settings(render_config(1883))
    assert "set_tcp_nodelay true" in REQUIRED_SETTINGS
    assert "max_queued_messages 0" in REQUIRED_SETTINGS


def test_deployed_config_has_the_same_settings() -> None:
    deployed = (ROOT / "deploy/mosquitto/campusgate.conf").read_text(encoding="utf-8")
    assert set(REQUIRED_SETTINGS) <= _settings(deployed)


def test_broker_urls() -> None:
    address = parse_broker_url("mqtts://gate%2F1:s%40cret@broker.campus:8884")
    assert (address.host, address.port, address.tls) == ("broker.campus", 8884, True)
    assert (address.username, address.password) == ("gate/1", "s@cret")
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    for bad in ("http://x", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ConfigError):
            parse_broker_url(bad)


def test_broker_url_ca_file() -> None:
    address = parse_broker_url("mqtts://gate:pw@broker.campus:8883?cafile=/etc/campusgate/ca.pem")
    assert address.ca_file == "/etc/campusgate/ca.pem"
    assert parse_broker_url("mqtts://broker.campus").ca_file is None
    for bad in (
        "mqtt://h?cafile=/ca.pem",  # a CA without TLS
        "mqtts://h?cafile=",
        "mqtts://h?cafile=/a&cafile=/b",
        "mqtts://h?insecure=1",
    ):
        with pytest.raises(ConfigError):
            parse_broker_url(bad)


def test_local_broker_with_a_config_needs_its_port(tmp_path: Path) -> None:
    from services.broker_admin.local_broker import LocalBroker

    with pytest.raises(ConfigError, match="needs the port"):
        LocalBroker(config=tmp_path / "mosquitto.conf")
