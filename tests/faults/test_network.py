"""Network faults through a local TCP proxy, and a gate killed with a full outbox."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import time
import tty
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devices.thermometer.simulator import ThermometerSimulator
from services.broker_admin.local_broker import LocalBroker, free_port
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.processes import ROOT, Processes, gate_command
from tests.fixtures.proxy import FaultyProxy
from tests.fixtures.simulated_gate import Lane, check_exactly_once, logged

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "west-3"


def gate_process(
    site: str,
    broker_url: str,
    tmp_path: Path,
    thermometer: Path,
    scanner: str,
    *extra: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``campusgate gate`` on pty devices, its outbox and snapshot in ``tmp_path``."""
    command = gate_command(
        "--site", site, "--gate", GATE, "--broker", broker_url,
        "--outbox", str(tmp_path / "outbox.db"), "--snapshot", str(tmp_path / "snapshot.bin"),
        "--thermometer", f"serial://{thermometer}?protocol=idc50-ascii",
        "--scanner", f"serial://{scanner}", "--relay", "none", *extra,
    )  # fmt: skip
    with (tmp_path / "gate.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=env)


@pytest.fixture
def proxy(own_broker: LocalBroker) -> Iterator[FaultyProxy]:
    faulty = FaultyProxy(own_broker.port)
    yield faulty
    faulty.close()


@pytest.fixture
def central(
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
    processes: Processes,
    tmp_path: Path,
) -> subprocess.Popen[bytes]:
    return processes.central_for(own_broker.url, sqlite_url, campus, site, tmp_path / "central.log")


@pytest.fixture
def lane(proxy: FaultyProxy, start_lane: StartLane) -> Lane:
    return start_lane(proxy.url, gate=GATE, decision_timeout_s=0.5)


def test_blackhole_then_the_connection_dies(
    central: object, lane: Lane, proxy: FaultyProxy, campus: Campus, sqlite_url: str
) -> None:
    lane.wait_snapshot()
    for index in range(5):
        lane.person(long_lived(campus, index))
    lane.wait_for(lambda: lane.agent.stats.decisions == 5)
    proxy.stall()  # packets vanish; TCP still thinks the link is up
    for index in range(5, 20):
        lane.person(long_lived(campus, index))
    lane.wait_for(lambda: lane.agent.stats.local_decisions >= 15)
    proxy.cut()  # the dead link finally times out
    proxy.release()
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == 20


def test_slow_link(
    central: object, lane: Lane, proxy: FaultyProxy, campus: Campus, sqlite_url: str
) -> None:
    lane.wait_snapshot()
    proxy.delay_s = 0.15  # every chunk, both ways: answers come after the gate gave up
    for index in range(20):
        lane.person(long_lived(campus, index))
    lane.wait_for(lambda: lane.agent.stats.decisions == 20)
    proxy.delay_s = 0.0
    lane.wait_drained()
    assert check_exactly_once(sqlite_url, [lane]) == 20
    assert lane.agent.stats.local_decisions > 0


def outbox_ids(path: Path) -> list[uuid.UUID]:
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        return [uuid.UUID(e) for (e,) in db.execute("SELECT event_id FROM outbox ORDER BY seq")]
    except sqlite3.OperationalError:
        return []  # the gate is still creating it
    finally:
        db.close()


def test_gate_killed_with_a_full_outbox_forwards_it_after_restart(
    own_broker: LocalBroker,
    central: object,
    campus: Campus,
    site: str,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    thermometer = ThermometerSimulator("idc50-ascii", tmp_path / "ttyT", corrupt_rate=0.0)
    thermometer.plug()
    master, slave = os.openpty()
    tty.setraw(slave)
    outbox = tmp_path / "outbox.db"  # where gate_process keeps it

    def gate(broker_url: str) -> subprocess.Popen[bytes]:
        return gate_process(
            site, broker_url, tmp_path, thermometer.link, os.ttyname(slave),
            "--decision-timeout", "0.3",
        )  # fmt: skip

    nowhere = f"mqtt://127.0.0.1:{free_port()}"  # the broker is unreachable
    first = gate(nowhere)
    try:
        for index in range(12):
            # Present the person again until the gate has them: a port opened late
            # (a slow start under load) flushes what was sent before it was open.
            deadline = time.monotonic() + 30
            while len(outbox_ids(outbox)) <= index:
                assert time.monotonic() < deadline, (tmp_path / "gate.log").read_text()
                os.write(master, long_lived(campus, index).encode() + b"\r\n")
                thermometer.person(Decimal("36.5"))
                until = time.monotonic() + 2
                while len(outbox_ids(outbox)) <= index and time.monotonic() < until:
                    time.sleep(0.02)
        produced = outbox_ids(outbox)
        first.send_signal(signal.SIGKILL)  # with 12 passages in its outbox
        first.wait(10)
        second = gate(own_broker.url)
        try:
            deadline = time.monotonic() + 60
            while outbox_ids(outbox):
                assert time.monotonic() < deadline, "the outbox was not forwarded"
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
        os.close(master)
        os.close(slave)
        thermometer.close()
    found = logged(sqlite_url, produced)
    assert len(produced) == 12
    assert sorted(found) == sorted(produced)
    assert {rows for _, _, rows in found.values()} == {1}
    # Central says admit; the gate, with no snapshot at all, had denied those it had
    # time to decide before it was killed (the last one may not have timed out yet).
    assert {d for d, _, _ in found.values()} == {"admit"}
    assert {local for _, local, _ in found.values()} <= {"deny", None}
    assert any(local == "deny" for _, local, _ in found.values())


def test_a_full_outbox_disk_is_reported_in_the_status_not_silent(
    own_broker: LocalBroker, site: str, tmp_path: Path, listen: object
) -> None:
    from schemas.messages import GateStatus
    from schemas.topics import GateChannel, gate_topic

    thermometer = ThermometerSimulator("idc50-ascii", tmp_path / "ttyT", corrupt_rate=0.0)
    thermometer.plug()
    master, slave = os.openpty()
    tty.setraw(slave)
    watcher = listen(own_broker.url, gate_topic(site, GATE, GateChannel.STATUS))  # type: ignore[operator]
    # Nobody answers (no central service), and the outbox may hold only 16 KiB:
    # it fills like a full disk, and the gate must say so.
    env = {**os.environ, "CAMPUSGATE_OUTBOX_MAX_MB": "0.015"}
    gate = gate_process(
        site, own_broker.url, tmp_path, thermometer.link, os.ttyname(slave), env=env
    )
    try:
        deadline = time.monotonic() + 60
        index = 0
        while True:
            assert time.monotonic() < deadline, (tmp_path / "gate.log").read_text()[-2000:]
            os.write(master, f"2021{index:05d}\r\n".encode())
            thermometer.person(Decimal("36.5"))
            index += 1
            time.sleep(0.05)
            try:
                message = watcher.get(timeout=0.01)
            except queue.Empty:  # nothing new on the status topic yet
                continue
            outbox = GateStatus.model_validate_json(message.payload).devices.get("outbox")
            if outbox is not None and outbox.state == "fault":
                break
        assert "full" in outbox.detail
        assert "NOT KEPT" in (tmp_path / "gate.log").read_text()
    finally:
        gate.send_signal(signal.SIGTERM)
        gate.wait(20)
        os.close(master)
        os.close(slave)
        thermometer.close()
