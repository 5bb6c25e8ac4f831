"""docker-compose.yml and the Dockerfile: every command parses, names and secrets line up
with what ``campusgate deploy init`` writes.

The file is validated against the Compose Specification's JSON Schema
(tests/deploy/compose-spec.json, Apache-2.0, from github.com/compose-spec/compose-spec
schema/compose-spec.json at 170098ba07d9f53c383a41bfd4c5166b0a4529a6), and by
``docker compose config`` where a docker CLI with the compose plugin exists.  Running it
is tests/deploy/test_compose_run.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kernel.bus.mqtt import parse_broker_url
from services.broker_admin import Role, load_inventory
from services.broker_admin.mosquitto_conf import IMAGE_PLUGIN
from services.deploy import layout
from services.deploy.init import init_deployment
from tests.fixtures.deploy import (
    ROOT,
    MissingVariable,
    interpolate_tree,
    parse_command,
    read_env_file,
    variables,
)

COMPOSE = ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")
ONE_SHOTS = {"migrate", "keys", "backup"}
IMAGES = {"mosquitto", "postgres", "prometheus"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("deploy") / "site"
    init_deployment(directory)
    return directory


@pytest.fixture(scope="module")
def env(deployment: Path) -> dict[str, str]:
    return read_env_file(deployment / layout.COMPOSE_ENV)


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


def campusgate_services(compose: dict[str, Any]) -> list[str]:
    return sorted(set(services(compose)) - IMAGES)


def env_of(service: dict[str, Any]) -> dict[str, str]:
    """What a service's process sees: its env files, then its environment."""
    values: dict[str, str] = {}
    for path in service.get("env_file", []):
        values.update(read_env_file(Path(path)))
    values.update({k: str(v) for k, v in service.get("environment", {}).items()})
    return values


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(compose)
    ]
    assert not errors, errors


def test_every_variable_comes_from_compose_env_and_none_is_secret(env: dict[str, str]) -> None:
    used = variables(COMPOSE.read_text(encoding="utf-8"))
    assert used <= set(env), f"no source for {sorted(used - set(env))}"
    assert not [name for name in env if "PASSWORD" in name or "SECRET" in name or "KEY" in name]


def test_the_deployment_directory_is_required(raw: dict[str, Any], env: dict[str, str]) -> None:
    partial = {k: v for k, v in env.items() if k != "CAMPUSGATE_DEPLOY"}
    with pytest.raises(MissingVariable, match="deploy init"):
        interpolate_tree(raw, partial)


def test_every_service_restarts_and_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        assert service["restart"] in (("no",) if name in ONE_SHOTS else ("unless-stopped",)), name
        check = service["healthcheck"]
        if name in ONE_SHOTS:
            assert check == {"disable": True}, name
            continue
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check["interval"], name
        assert check["retries"] >= 3, name


@pytest.mark.parametrize("name", ["migrate", "keys", "central", "web", "gate", "report",
                                  "sealer", "retention", "backup"])  # fmt: skip
def test_service_command_parses_with_the_cli(compose: dict[str, Any], name: str) -> None:
    service = services(compose)[name]
    assert service["image"] == services(compose)["central"]["image"]  # one image for all
    assert service["build"] == "."
    parse_command([str(part) for part in service["command"]])
    test = service["healthcheck"].get("test")
    if test is not None:
        parse_command(test[1:])


def test_scheduled_jobs_run_for_good_and_beat(compose: dict[str, Any]) -> None:
    jobs = {"report": "report", "sealer": "audit", "retention": "retention"}
    for name, command in jobs.items():
        args = parse_command(services(compose)[name]["command"])
        assert args.command == command
        assert args.heartbeat is not None, name
        health = parse_command(services(compose)[name]["healthcheck"]["test"][1:])
        assert health.heartbeat == args.heartbeat, name
    assert parse_command(services(compose)["sealer"]["command"]).every
    assert parse_command(services(compose)["retention"]["command"]).at
    assert not parse_command(services(compose)["report"]["command"]).once


def test_broker_accounts_match_the_deployment(compose: dict[str, Any], deployment: Path) -> None:
    roles = {a.user: a for a in load_inventory(deployment / layout.GATES_FILE)}
    secrets = read_env_file(deployment / layout.BROKER_DIR / "secrets.env")
    urls = {name: env_of(services(compose)[name])["CAMPUSGATE_MQTT__URL"]
            for name in ("central", "web")}  # fmt: skip
    gate_secret = compose["secrets"][services(compose)["gate"]["secrets"][0]["source"]]
    gate_toml = tomllib.loads(Path(gate_secret["file"]).read_text(encoding="utf-8"))
    urls["gate"] = gate_toml["mqtt"]["url"]
    expected_roles = {"central": Role.CENTRAL, "web": Role.WEB, "gate": Role.GATE}
    for name, url in urls.items():
        address = parse_broker_url(url)
        assert (address.host, address.port) == ("mosquitto", 1883), name
        assert address.username is not None
        account = roles[address.username]
        assert account.role is expected_roles[name], name
        key = "CAMPUSGATE_BROKER_PASSWORD_" + address.username.upper().replace("-", "_")
        assert address.password == secrets[key]
        assert "main" in account.sites
    assert (gate_toml["site"], gate_toml["gate"]) == ("main", roles["north-1"].gate)


def test_database_urls_match_postgres(compose: dict[str, Any]) -> None:
    postgres = services(compose)["postgres"]
    password_file = compose["secrets"][postgres["secrets"][0]]["file"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    password = Path(password_file).read_text(encoding="utf-8").strip()
    user, db = postgres["environment"]["POSTGRES_USER"], postgres["environment"]["POSTGRES_DB"]
    for name in ("migrate", "central", "web", "report", "sealer", "retention"):
        url = env_of(services(compose)[name])["CAMPUSGATE_DB__URL"]
        assert url == f"postgresql+psycopg://{user}:{password}@postgres:5432/{db}", name


def test_web_has_its_session_secret_and_id_hash_key(compose: dict[str, Any]) -> None:
    from services.web.settings import WebSettings

    env = env_of(services(compose)["web"])
    assert len(env["CAMPUSGATE_WEB__SESSION_SECRET"]) >= 32
    assert len(bytes.fromhex(env["CAMPUSGATE_ID_HASH_KEY"])) == 32
    # The central workers hash a number read at a lane with the very same key.
    central = env_of(services(compose)["central"])
    assert central["CAMPUSGATE_ID_HASH_KEY"] == env["CAMPUSGATE_ID_HASH_KEY"]
    settings = WebSettings.model_validate({
        "web": {"session_secret": env["CAMPUSGATE_WEB__SESSION_SECRET"], "keys_dir": "/keys"}
    })  # fmt: skip
    assert not settings.web.demo


def test_keys_are_read_only_where_only_used(compose: dict[str, Any], deployment: Path) -> None:
    writable = {"keys"}  # the rotation one-shot
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source, _, rest = volume.partition(":")
            if source.startswith(str(deployment / layout.KEYS_DIR)) or "site-keys" in source:
                assert rest.endswith(":ro") == (name not in writable), (name, volume)
    assert "/keys:ro" in " ".join(services(compose)["central"]["volumes"])
    assert "/site-keys:ro" in " ".join(services(compose)["gate"]["volumes"])


def test_broker_mounts_what_deploy_init_wrote(compose: dict[str, Any], deployment: Path) -> None:
    mounts = dict(v.rsplit(":", 1) for v in services(compose)["mosquitto"]["volumes"])
    assert mounts[str(deployment / "broker/mosquitto")] == layout.BROKER_CONFIG_DIR
    assert mounts["mosquitto-data"] == layout.BROKER_DATA_DIR
    config = (deployment / "broker/mosquitto/mosquitto.conf").read_text().splitlines()
    assert f"password_file {layout.BROKER_CONFIG_DIR}/passwd" in config
    assert f"plugin {IMAGE_PLUGIN}" in config
    assert f"persistence_location {layout.BROKER_DATA_DIR}/" in config
    assert "listener 1883" in config
    assert services(compose)["mosquitto"]["image"].startswith("eclipse-mosquitto:2.")


def test_central_workers_scale_out_safely(compose: dict[str, Any]) -> None:
    central = services(compose)["central"]
    assert central["deploy"]["replicas"] >= 2
    args = parse_command(central["command"])
    assert args.worker_id == "auto"  # distinct MQTT client ids per replica
    assert args.no_upgrade  # migrations run once, in `migrate`, not in every replica
    assert central["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert parse_command(services(compose)["web"]["command"]).no_upgrade


def test_volumes_secrets_and_dependencies_are_declared(
    compose: dict[str, Any], deployment: Path
) -> None:
    declared = set(compose["volumes"])
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith(("/", ".")):
                assert source.startswith((str(deployment), "./deploy/")), (name, source)
                assert Path(source if source.startswith("/") else ROOT / source).exists(), source
            else:
                assert source in declared, (name, source)
        for dependency in service.get("depends_on", {}):
            assert dependency in services(compose), (name, dependency)
        for secret in service.get("secrets", []):
            source = secret["source"] if isinstance(secret, dict) else secret
            assert Path(compose["secrets"][source]["file"]).is_file(), (name, source)
        for path in service.get("env_file", []):
            assert Path(path).is_file(), (name, path)


def test_dockerfile_builds_a_non_root_image() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == ["FROM python:3.11-slim"]
    text = "\n".join(lines)
    assert "libzbar0" in text
    assert 'pip install ".[vision]"' in text
    assert "--uid 10001" in text  # what `deploy init --owner 10001` hands the keys to
    # Named volumes take the owner of their mount point: the image's user must own it.
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("campusgate"):
            for volume in service.get("volumes", []):
                source, target = volume.split(":")[:2]
                if not source.startswith(("/", ".", "$")):
                    assert target == "/var/lib/campusgate" or f" {target}" in text, (name, volume)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "deploy/broker", "deploy/site"} <= set(ignored)  # no secrets


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    return [docker, "compose"] if probe.returncode == 0 else None


def test_docker_compose_config(deployment: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker CLI with the compose plugin on this machine (`docker compose`)")
    result = subprocess.run(
        [*cli, "--env-file", str(deployment / layout.COMPOSE_ENV), "-f", str(COMPOSE),
         "config", "--quiet"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_gate_configuration_is_valid_gate_settings(deployment: Path) -> None:
    from gateway.agent.settings import load_gate_settings

    settings = load_gate_settings(deployment / layout.SECRETS_DIR / "gate-north-1.toml")
    assert (settings.site, settings.gate) == ("main", "north-1")
    assert settings.mqtt.url.startswith("mqtt://north-1:")
