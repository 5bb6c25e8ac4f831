"""``campusgate deploy init DIR``: a fresh deployment's secrets, keys and env files, all
private, never rewritten; what it writes is what the services accept."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from kernel.bus.mqtt import parse_broker_url
from kernel.codes.keys import KeyRing, active_kid
from kernel.errors import ConfigError
from services.broker_admin import verify_password
from services.cli.main import main
from services.deploy.init import InitOptions, init_deployment
from tests.fixtures.deploy import read_env_file

PUBLIC = {".pub", ""}  # public keys and the key-set version: public by nature


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).digest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_init_writes_everything_private_and_a_second_run_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "site"
    assert main(["deploy", "init", str(directory)]) == 0
    first = capsys.readouterr().out
    assert "wrote env/web.env" in first
    assert "kept" not in first
    for path in directory.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, path
        elif path.parent.name not in ("keys", "site-keys") or path.suffix == ".key":
            assert mode == 0o600, path
    before = tree(directory)
    assert {"env/db.env", "env/central.env", "env/web.env", "env/id-hash.env",
            "secrets/db_password", "secrets/gate-north-1.toml", "compose.env", "broker/secrets.env",
            "broker/mosquitto/passwd"} <= set(before)  # fmt: skip
    assert main(["deploy", "init", str(directory)]) == 0
    second = capsys.readouterr().out
    assert "wrote" not in second
    assert "kept  env/web.env" in second
    assert "kept  keys" in second
    assert tree(directory) == before


def test_a_lost_env_file_is_made_again_from_the_passwords_on_disk(tmp_path: Path) -> None:
    directory = tmp_path / "site"
    init_deployment(directory)
    (directory / "env/central.env").unlink()
    report = init_deployment(directory)
    assert report.written == ["env/central.env"]
    url = read_env_file(directory / "env/central.env")["CAMPUSGATE_MQTT__URL"]
    password = read_env_file(directory / "broker/secrets.env")["CAMPUSGATE_BROKER_PASSWORD_CENTRAL"]
    assert parse_broker_url(url).password == password


def test_what_it_writes_is_what_the_services_accept(tmp_path: Path) -> None:
    from services.identity import is_placeholder
    from services.web.settings import WebSettings

    directory = tmp_path / "site"
    init_deployment(directory, InitOptions(site="east", web_port=8443))
    web = read_env_file(directory / "env/web.env")
    settings = WebSettings.model_validate(
        {"web": {"session_secret": web["CAMPUSGATE_WEB__SESSION_SECRET"]}}
    )
    assert settings.web.session_secret.get_secret_value() == web["CAMPUSGATE_WEB__SESSION_SECRET"]
    id_hash = read_env_file(directory / "env/id-hash.env")
    assert not is_placeholder(bytes.fromhex(id_hash["CAMPUSGATE_ID_HASH_KEY"]))
    # The broker's password file admits the web account with the env file's password.
    address = parse_broker_url(web["CAMPUSGATE_MQTT__URL"])
    passwd = (directory / "broker/mosquitto/passwd").read_text().splitlines()
    line = next(x for x in passwd if x.startswith(f"{address.username}:"))
    assert address.password is not None
    assert verify_password(address.password, line.split(":", 1)[1])
    # The gates verify with the public half of the key the central side signs with.
    kid = active_kid(directory / "keys")
    assert kid in KeyRing.load(directory / "site-keys").kids
    assert not list((directory / "site-keys").glob("*.key"))
    compose = read_env_file(directory / "compose.env")
    assert compose["CAMPUSGATE_SITE"] == "east"
    assert compose["CAMPUSGATE_WEB_PORT"] == "8443"
    assert compose["CAMPUSGATE_DEPLOY"] == str(directory.resolve())
    gate = (directory / "secrets/gate-north-1.toml").read_text()
    assert 'site = "east"' in gate


def test_two_deployments_share_no_secret(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    init_deployment(one)
    init_deployment(two)
    for name in ("env/web.env", "env/id-hash.env", "env/db.env", "broker/secrets.env",
                 "secrets/db_password"):  # fmt: skip
        assert (one / name).read_text() != (two / name).read_text(), name


def test_a_bad_owner_or_a_gates_file_without_services_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="numeric"):
        init_deployment(tmp_path / "a", InitOptions(owner="campusgate"))
    gates = tmp_path / "gates.toml"
    gates.write_text('[[gate]]\nsite = "main"\ngate = "north-1"\n')
    with pytest.raises(ConfigError, match="central"):
        init_deployment(tmp_path / "b", InitOptions(gates=gates))


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files over needs root")
def test_owner_hands_the_keys_and_gate_configs_to_the_container_user(tmp_path: Path) -> None:
    directory = tmp_path / "site"
    init_deployment(directory, InitOptions(owner="10001"))
    for path in [directory / "keys", *(directory / "keys").iterdir(),
                 directory / "secrets/gate-north-1.toml"]:  # fmt: skip
        assert path.stat().st_uid == 10001, path
    assert (directory / "env/web.env").stat().st_uid == os.geteuid()
