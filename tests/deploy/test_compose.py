"""docker-compose.yml and the Dockerfile: every command parses, names and secrets line up.

The file is validated against the Compose Specification's JSON Schema
(tests/deploy/compose-spec.json, Apache-2.0, from github.com/compose-spec/compose-spec
schema/compose-spec.json at 170098ba07d9f53c383a41bfd4c5166b0a4529a6), and by
``docker compose config`` where a docker CLI with the compose plugin exists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

from kernel.bus.mqtt import parse_broker_url
from services.broker_admin import Role, load_inventory, write_broker_files
from services.broker_admin.generate import BROKER_SUBDIR, BrokerFiles, BrokerOptions
from services.broker_admin.mosquitto_conf import IMAGE_PLUGIN
from services.broker_admin.secrets_file import read_secrets
from tests.fixtures.deploy import (
    ROOT,
    MissingVariable,
    interpolate_tree,
    parse_command,
    variables,
)

COMPOSE = ROOT / "docker-compose.yml"
GATES = ROOT / "deploy/gates.example.toml"
COMPOSE_ENV = ROOT / "deploy/compose.env.example"
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")
BROKER_CONFIG_DIR = PurePosixPath("/mosquitto/config")
BROKER_DATA_DIR = PurePosixPath("/mosquitto/data")
CAMPUSGATE_SERVICES = ("migrate", "keys", "central", "web", "gate")


def env_file(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}  # noqa: C416 (pairs of a split, typed as lists)


@pytest.fixture(scope="module")
def broker_files(tmp_path_factory: pytest.TempPathFactory) -> BrokerFiles:
    """What the README's `campusgate broker config` line writes for the compose file."""
    options = BrokerOptions(
        config_dir=BROKER_CONFIG_DIR, data_dir=BROKER_DATA_DIR, plugin=IMAGE_PLUGIN
    )
    return write_broker_files(load_inventory(GATES), tmp_path_factory.mktemp("b"), options)


@pytest.fixture(scope="module")
def env(broker_files: BrokerFiles) -> dict[str, str]:
    return {**env_file(COMPOSE_ENV), **read_secrets(broker_files.secrets)}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    resolved: dict[str, Any] = interpolate_tree(raw, env)  # type: ignore[assignment]
    return resolved


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(compose)
    ]
    assert not errors, errors


def test_every_variable_comes_from_the_env_files(env: dict[str, str]) -> None:
    used = variables(COMPOSE.read_text(encoding="utf-8"))
    assert used, "the compose file interpolates its secrets"
    assert used <= set(env), f"no source for {sorted(used - set(env))}"


def test_secrets_are_required_not_defaulted(raw: dict[str, Any], env: dict[str, str]) -> None:
    for name in ("CAMPUSGATE_BROKER_PASSWORD_CENTRAL", "CAMPUSGATE_DB_PASSWORD"):
        partial = {k: v for k, v in env.items() if k != name}
        with pytest.raises(MissingVariable, match=name):
            interpolate_tree(raw, partial)


@pytest.mark.parametrize("name", CAMPUSGATE_SERVICES)
def test_service_command_parses_with_the_cli(compose: dict[str, Any], name: str) -> None:
    service = services(compose)[name]
    assert service["image"] == services(compose)["central"]["image"]  # one image for all
    assert service["build"] == "."
    parse_command([str(part) for part in service["command"]])


def test_broker_accounts_match_the_gates_file(
    compose: dict[str, Any], broker_files: BrokerFiles
) -> None:
    roles = {a.user: a for a in load_inventory(GATES)}
    urls = {
        name: services(compose)[name]["environment"]["CAMPUSGATE_MQTT__URL"]
        for name in ("central", "web")
    }
    gate_toml = tomllib.loads(compose["configs"]["gate-north-1"]["content"])
    urls["gate"] = gate_toml["mqtt"]["url"]
    expected_roles = {"central": Role.CENTRAL, "web": Role.WEB, "gate": Role.GATE}
    for name, url in urls.items():
        address = parse_broker_url(url)
        assert (address.host, address.port) == ("mosquitto", 1883), name
        assert address.username is not None
        account = roles[address.username]
        assert account.role is expected_roles[name], name
        assert address.password == broker_files.passwords[address.username]
        assert "main" in account.sites
    assert (gate_toml["site"], gate_toml["gate"]) == ("main", roles["north-1"].gate)


def test_database_urls_match_postgres(compose: dict[str, Any]) -> None:
    postgres = services(compose)["postgres"]["environment"]
    for name in ("migrate", "central", "web"):
        url = services(compose)[name]["environment"]["CAMPUSGATE_DB__URL"]
        prefix = f"postgresql+psycopg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        assert url == f"{prefix}@postgres:5432/{postgres['POSTGRES_DB']}", name


def test_broker_mounts_what_the_generator_wrote(
    compose: dict[str, Any], broker_files: BrokerFiles
) -> None:
    mounts = dict(v.rsplit(":", 1) for v in services(compose)["mosquitto"]["volumes"])
    assert mounts[f"./deploy/broker/{BROKER_SUBDIR}"] == str(BROKER_CONFIG_DIR)
    assert mounts["mosquitto-data"] == str(BROKER_DATA_DIR)
    config = broker_files.config.read_text(encoding="utf-8").splitlines()
    assert f"password_file {BROKER_CONFIG_DIR}/passwd" in config
    assert f"plugin {IMAGE_PLUGIN}" in config
    assert f"plugin_opt_config_file {BROKER_CONFIG_DIR}/dynamic-security.json" in config
    assert f"persistence_location {BROKER_DATA_DIR}/" in config
    assert "listener 1883" in config
    assert services(compose)["mosquitto"]["image"].startswith("eclipse-mosquitto:2.")


def test_central_workers_scale_out_safely(compose: dict[str, Any]) -> None:
    central = services(compose)["central"]
    assert central["deploy"]["replicas"] >= 2
    args = parse_command(central["command"])
    assert args.worker_id == "auto"  # distinct MQTT client ids per replica
    assert args.no_upgrade  # migrations run once, in `migrate`, not in every replica
    assert central["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services(compose)["migrate"]["restart"] == "no"


def test_volumes_and_dependencies_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert source.startswith("./deploy/"), (name, source)
            else:
                assert source in declared, (name, source)
        for dependency in service.get("depends_on", {}):
            assert dependency in services(compose), (name, dependency)
        for config in service.get("configs", []):
            assert config["source"] in compose["configs"], (name, config)


def test_dockerfile_builds_a_non_root_image() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == ["FROM python:3.11-slim"]
    text = "\n".join(lines)
    assert "libzbar0" in text
    assert 'pip install ".[vision]"' in text
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "deploy/broker"} <= set(ignored)  # no secrets in the image


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    return [docker, "compose"] if probe.returncode == 0 else None


def test_docker_compose_config(broker_files: BrokerFiles, tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker CLI with the compose plugin on this machine (`docker compose`)")
    compose_env = tmp_path / "compose.env"
    compose_env.write_text(COMPOSE_ENV.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [*cli, "--env-file", str(compose_env), "--env-file", str(broker_files.secrets),
         "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_compose_gate_configuration_is_valid_gate_settings(tmp_path: Path) -> None:
    from gateway.agent.settings import load_gate_settings

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    content = compose["configs"]["gate-north-1"]["content"]
    # Compose interpolates ${VAR:?message} before the file reaches the container.
    config = tmp_path / "gate.toml"
    config.write_text(re.sub(r"\$\{[A-Z0-9_]+:\?[^}]*\}", "secret", content))
    settings = load_gate_settings(config)
    assert (settings.site, settings.gate) == ("main", "north-1")
    assert settings.mqtt.url == "mqtt://north-1:secret@mosquitto:1883"
