"""Issue 14, Medium 10: no password on a command line, in compose or in a systemd unit.

A process's command line is world-readable (``ps``, ``/proc/PID/cmdline``), and
compose passed the broker and database passwords there, contrary to
docs/operations.md.  Secrets reach the processes through their environment
(compose: interpolated from the env files; systemd: ``EnvironmentFile=``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.deploy import ROOT, interpolate_tree, read_unit, variables

COMPOSE = ROOT / "docker-compose.yml"
UNITS = sorted((ROOT / "deploy/systemd").glob("*.service"))
# A URL that carries a password: scheme://user:password@host
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE)
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN")
# Where each unit's secrets come from (mode 0600); the gate reads its own config file.
ENV_FILES = {
    "campusgate-central@.service": ["/etc/campusgate/central.env"],
    "campusgate-web.service": ["/etc/campusgate/web.env"],
}


def is_secret(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS) or name.upper().endswith("URL")


def command_lines(service: dict[str, Any]) -> list[str]:
    """Everything a service puts on a process's command line."""
    lines: list[str] = []
    for key in ("command", "entrypoint"):
        value = service.get(key)
        if value is not None:
            lines.append(" ".join(value) if isinstance(value, list) else str(value))
    test = service.get("healthcheck", {}).get("test")
    if test is not None:
        lines.append(" ".join(test) if isinstance(test, list) else str(test))
    return lines


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document


def test_the_check_sees_a_password_in_a_command() -> None:
    assert URL_WITH_PASSWORD.search("--broker mqtt://central:s3cret@mosquitto:1883")
    assert URL_WITH_PASSWORD.search("postgresql+psycopg://campusgate:pw@postgres:5432/db")
    assert not URL_WITH_PASSWORD.search("postgresql+psycopg://campusgate@db.campus/campusgate")
    assert is_secret("CAMPUSGATE_BROKER_PASSWORD_CENTRAL")
    assert is_secret("CAMPUSGATE_DB__URL")


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_compose_command_lines_carry_no_secret(name: str) -> None:
    service = compose()["services"][name]
    secrets = {
        v: f"secret-value-{i}-{v.lower()}" for i, v in enumerate(variables(COMPOSE.read_text()))
    }
    resolved: dict[str, Any] = interpolate_tree(service, secrets)  # type: ignore[assignment]
    for line in command_lines(service):
        assert not [v for v in variables(line) if is_secret(v)], (name, line)
        assert not URL_WITH_PASSWORD.search(line), (name, line)
    for line in command_lines(resolved):
        assert not any(value in line for value in secrets.values()), (name, line)
        assert not URL_WITH_PASSWORD.search(line), (name, line)


def test_compose_hands_the_secrets_over_in_the_environment() -> None:
    services = compose()["services"]
    for name in ("central", "web"):
        assert set(services[name]["environment"]) >= {"CAMPUSGATE_MQTT__URL", "CAMPUSGATE_DB__URL"}
    assert "CAMPUSGATE_DB__URL" in services["migrate"]["environment"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_systemd_command_lines_carry_no_secret(unit: Path) -> None:
    service = read_unit(unit)["Service"]
    commands = [value for key, value in service if key.startswith("Exec")]
    assert commands, unit
    for line in commands:
        # Any $VAR or ${VAR} would be expanded onto the command line.
        assert "$" not in line, (unit.name, line)
        assert not URL_WITH_PASSWORD.search(line), (unit.name, line)
        assert not any(word.lower() in line.lower() for word in ("password", "secret")), line
    environment = [value for key, value in service if key == "EnvironmentFile"]
    assert environment == ENV_FILES.get(unit.name, []), unit.name
