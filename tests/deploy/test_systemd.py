"""systemd units and the gate example: commands parse with the CLI, hardening is in place."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.bus.mqtt import parse_broker_url
from tests.fixtures.deploy import ROOT, parse_command, read_unit

UNITS = ROOT / "deploy/systemd"
UNIT_NAMES = ("campusgate-gate.service", "campusgate-central@.service", "campusgate-web.service")
INSTALLED_BINARY = "/opt/campusgate/venv/bin/campusgate"
# What the units' EnvironmentFile= would hold, for expanding ${VAR} in ExecStart=.
SAMPLE_ENV = {
    "CAMPUSGATE_DB__URL": "postgresql+psycopg://campusgate@db.campus.example/campusgate",
    "CAMPUSGATE_MQTT__URL": "mqtts://web:pw@broker.campus.example:8883",
    "CAMPUSGATE_SITE": "main",
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectProc": "invisible",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


def service_section(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in read_unit(UNITS / name)["Service"]:
        values.setdefault(key, []).append(value)
    return values


def exec_start(name: str) -> list[str]:
    (line,) = service_section(name)["ExecStart"]
    line = line.replace("%i", "1")
    line = re.sub(r"\$\{([A-Z_]+)\}", lambda m: shlex.quote(SAMPLE_ENV[m.group(1)]), line)
    return shlex.split(line)


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_exec_start_parses_with_the_cli(name: str) -> None:
    argv = exec_start(name)
    assert argv[0] == INSTALLED_BINARY
    parse_command(argv)


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_units_are_hardened(name: str) -> None:
    service = service_section(name)
    for key, value in HARDENING.items():
        assert service.get(key) == [value], (name, key)
    assert service["User"] == ["campusgate"]
    assert service["Restart"] == ["always"]
    assert "SystemCallFilter" in service
    assert "RestrictAddressFamilies" in service


def test_central_takes_secrets_from_the_environment_only() -> None:
    service = service_section("campusgate-central@.service")
    args = parse_command(exec_start("campusgate-central@.service"))
    assert (args.broker, args.db, args.worker_id, args.no_upgrade) == (None, None, "1", True)
    assert service["EnvironmentFile"] == ["/etc/campusgate/central.env"]


def test_gate_unit_reaches_its_devices_only() -> None:
    service = service_section("campusgate-gate.service")
    assert service["DevicePolicy"] == ["closed"]
    assert {"char-ttyUSB rw", "char-video4linux rw"} <= set(service["DeviceAllow"])
    assert service["SupplementaryGroups"] == ["dialout video"]
    assert service["StateDirectory"] == ["campusgate"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_systemd_accepts_the_unit(name: str, tmp_path: Path) -> None:
    # verify needs the binary to exist: point ExecStart= at this checkout's own.
    binary = Path(sys.executable).with_name("campusgate")
    text = (UNITS / name).read_text(encoding="utf-8").replace(INSTALLED_BINARY, str(binary))
    (tmp_path / name).write_text(text, encoding="utf-8")
    instance = tmp_path / name.replace("@.", "@1.")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(instance)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # unknown keys are only warned about


def test_gate_example_fields() -> None:
    from gateway.agent.settings import load_gate_settings

    gate = load_gate_settings(ROOT / "deploy/gate.example.toml")
    broker = parse_broker_url(gate.mqtt.url)
    assert (broker.tls, broker.username) == (True, gate.gate)
    assert broker.ca_file is not None
    assert gate.thermometer.split("?", 1)[0] == "serial:///dev/ttyUSB0"
    assert "protocol=gy-mcu90614" in gate.thermometer
    assert 0 < gate.decision_timeout_s < gate.pairing_window_s < 10
    # The outbox and the snapshot live in the unit's StateDirectory, the one place it may write.
    state = service_section("campusgate-gate.service")["StateDirectory"][0]
    assert gate.outbox_path.parent == Path("/var/lib") / state
    assert gate.snapshot_path.parent == Path("/var/lib") / state
