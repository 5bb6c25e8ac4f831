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

from tests.fixtures.deploy import ROOT, interpolate_tree, read_env_file, read_unit, variables

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


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[str]]:
    """compose.env of a fresh `deploy init`, and every secret value it wrote."""
    from services.deploy.init import init_deployment

    directory = tmp_path_factory.mktemp("deploy") / "site"
    init_deployment(directory)
    values: list[str] = []
    for path in [*directory.glob("env/*.env"), directory / "broker/secrets.env"]:
        values += [v for k, v in read_env_file(path).items() if is_secret(k)]
    values.append((directory / "secrets/db_password").read_text().strip())
    return read_env_file(directory / "compose.env"), values


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_compose_command_lines_carry_no_secret(
    name: str, deployment: tuple[dict[str, str], list[str]]
) -> None:
    service = compose()["services"][name]
    env, secret_values = deployment
    # Any secret-looking variable gets a recognisable value; the rest their real one.
    used = variables(COMPOSE.read_text())
    secrets = {v: f"secret-value-{i}-{v.lower()}" for i, v in enumerate(used) if is_secret(v)}
    resolved: dict[str, Any] = interpolate_tree(service, {**env, **secrets})  # type: ignore[assignment]
    assert len(secret_values) >= 5
    for line in command_lines(service):
        assert not [v for v in variables(line) if is_secret(v)], (name, line)
        assert not URL_WITH_PASSWORD.search(line), (name, line)
    for line in command_lines(resolved):
        assert not any(value in line for value in [*secrets.values(), *secret_values]), name
        assert not URL_WITH_PASSWORD.search(line), (name, line)


def test_compose_hands_the_secrets_over_in_env_files_or_secrets() -> None:
    """The campusgate services read their URLs from env files `deploy init` wrote (0600,
    read by compose, never shown in the file); none is spelled out in `environment`."""
    services = compose()["services"]
    for name in ("central", "web", "migrate", "report", "sealer", "retention"):
        files = " ".join(services[name]["env_file"])
        assert "/env/db.env" in files, name
        assert not set(services[name].get("environment") or {}) & {
            "CAMPUSGATE_MQTT__URL", "CAMPUSGATE_DB__URL"
        }, name  # fmt: skip
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets")
    assert services["gate"]["secrets"]


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
