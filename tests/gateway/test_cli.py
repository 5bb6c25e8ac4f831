"""``campusgate gate`` as an operator runs it: a real process, real ports (ptys), real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import tty
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devices.relay.simulator import FakeRelayBoard
from devices.thermometer.simulator import ThermometerSimulator
from schemas.messages import GateStatus
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from tests.fixtures.campus import Campus
from tests.fixtures.processes import ROOT, gate_command

pytestmark = pytest.mark.mqtt

GATE = "east-2"
WAIT_S = 15.0


@pytest.fixture
def scanner_port() -> Iterator[tuple[int, str]]:
    """A pty standing in for a serial barcode scanner: write lines to the master."""
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def wait_status(watcher: object, probe: object) -> GateStatus:
    while True:
        status = GateStatus.model_validate_json(watcher.get(WAIT_S).payload)  # type: ignore[attr-defined]
        if probe(status):  # type: ignore[operator]
            return status


def test_gate_process_admits_through_real_ports_and_stops_cleanly(
    broker: LocalBroker,
    site: str,
    campus: Campus,
    central: CentralWorker,
    scanner_port: tuple[int, str],
    tmp_path: Path,
    listen: object,
) -> None:
    # One operator's run, start to SIGTERM, through a real process: long on purpose.
    thermometer = ThermometerSimulator("idc50-ascii", tmp_path / "ttyTHERMO", corrupt_rate=0.0)
    thermometer.plug()
    board = FakeRelayBoard()
    watcher = listen(broker.url, gate_topic(site, GATE, GateChannel.STATUS))  # type: ignore[operator]
    master, scanner_path = scanner_port
    process = subprocess.Popen(
        gate_command(
            "--site",
            site,
            "--gate",
            GATE,
            "--broker",
            broker.url,
            "--thermometer",
            f"serial://{thermometer.link}?protocol=idc50-ascii",
            "--scanner",
            f"serial://{scanner_path}",
            "--relay",
            f"serial://{board.port}",
            "--pulse",
            "0.2",
            "--decision-timeout",
            "10",
            "--outbox",
            str(tmp_path / "outbox.db"),
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_status(
            watcher,
            lambda s: (
                s.online
                and all(s.devices[d].state == "ok" for d in ("thermometer", "scanner", "turnstile"))
            ),
        )
        person = campus.people[0]
        os.write(master, campus.code(person.person_id).encode() + b"\r\n")
        thermometer.person(Decimal("36.4"))
        assert board.wait_for(lambda b: any(c.closed for c in b.changes), timeout=WAIT_S)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=WAIT_S)
        assert process.returncode == 0
        # The guard's console speaks the site's language (zh by default), local time.
        decided = next(line for line in out.splitlines() if person.name in line)
        assert "  通行  " in decided
        assert "+08:00" in decided.split()[0]
        # The agent said goodbye itself: the retained status is offline.
        last = wait_status(watcher, lambda s: not s.online)
        assert last.mode == "offline"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        board.close()
        thermometer.close()


def test_killed_gate_leaves_its_last_will(
    broker: LocalBroker, site: str, listen: object, tmp_path: Path
) -> None:
    watcher = listen(broker.url, gate_topic(site, GATE, GateChannel.STATUS))  # type: ignore[operator]
    process = subprocess.Popen(
        gate_command(
            "--site",
            site,
            "--gate",
            GATE,
            "--broker",
            broker.url,
            "--outbox",
            str(tmp_path / "outbox.db"),
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        online = wait_status(watcher, lambda s: s.online)
        assert online.devices["thermometer"].state == "absent"
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT_S)
        will = wait_status(watcher, lambda s: not s.online)
        assert (will.gate, will.mode) == (GATE, "offline")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "gate"),  # no gate name at all
        (("--gate", "North 1"), "gate"),
        (("--gate", "n1", "--thermometer", "serial:///dev/x?protocol=nope"), "protocol"),
        (("--gate", "n1", "--relay", "http://x"), "not a serial device URL"),
        (("--gate", "n1", "--thermometer", "serial:///x?protocol=lu90614&offset=9"), "offset"),
        (("--gate", "n1", "--config", "/nonexistent.toml"), "not found"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_error(
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CAMPUSGATE_GATE", raising=False)
    outbox = tmp_path / "outbox.db"
    done = subprocess.run(
        gate_command(*args, "--outbox", str(outbox)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not outbox.exists()  # refused before anything was written
    assert done.returncode == 2
    assert "campusgate: error:" in done.stderr
    assert message in done.stderr


def test_toml_file_with_environment_and_command_line_on_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.agent.settings import load_gate_settings

    config = tmp_path / "gate.toml"
    config.write_text(
        'site = "main"\ngate = "north-1"\nrelay = "serial:///dev/ttyUSB1"\n'
        'decision_timeout_s = 2.5\n[mqtt]\nurl = "mqtt://broker.campus.example:1883"\n'
    )
    monkeypatch.setenv("CAMPUSGATE_MQTT__URL", "mqtt://127.0.0.1:1999")
    settings = load_gate_settings(config, gate="north-2")
    assert (settings.site, settings.gate, settings.relay) == (
        "main",
        "north-2",
        "serial:///dev/ttyUSB1",
    )
    assert settings.decision_timeout_s == 2.5
    assert settings.mqtt.url == "mqtt://127.0.0.1:1999"


def test_the_shipped_example_configuration_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.agent.settings import load_gate_settings

    for name in ("CAMPUSGATE_GATE", "CAMPUSGATE_SITE", "CAMPUSGATE_MQTT__URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_gate_settings(ROOT / "deploy" / "gate.example.toml")
    assert (settings.site, settings.gate) == ("main", "north-1")
    assert settings.thermometer.startswith("serial:///dev/ttyUSB0?protocol=gy-mcu90614")
    assert settings.lane_config(None).decision_timeout_s == 3.0
