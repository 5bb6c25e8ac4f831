"""``campusgate gate --kiosk`` as an operator runs it: the agent serves the kiosk itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.processes import ROOT, gate_command

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

WAIT_S = 30.0


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(url: str) -> httpx.Response:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # the process is still importing: poll with a deadline


def test_the_gate_serves_its_kiosk_and_lets_nobody_in_without_a_snapshot(
    broker: LocalBroker, site: str, tmp_path: Path
) -> None:
    port = spare_port()
    process = subprocess.Popen(
        gate_command(
            "--site",
            site,
            "--gate",
            "north-1",
            "--broker",
            broker.url,
            "--outbox",
            str(tmp_path / "outbox.db"),
            "--snapshot",
            str(tmp_path / "snap.bin"),
            "--kiosk",
            str(port),
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CAMPUSGATE_KIOSK": "0.0.0.0:1"},  # the option wins
    )
    try:
        base = f"http://127.0.0.1:{port}"
        login = wait_up(f"{base}/login")
        assert login.status_code == 200
        assert 'name="csrf_token"' in login.text
        assert httpx.get(f"{base}/kiosk/north-1").headers["location"] == "/login"
        # No snapshot held yet: no guard is known here, whatever the password.
        with httpx.Client(base_url=base) as client:
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            form = {"csrf_token": token, "username": "guard-n1", "password": "anything-at-all"}
            assert client.post("/login", data=form).status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_a_bad_kiosk_address_is_refused_before_anything_starts(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.db"
    done = subprocess.run(
        gate_command("--gate", "n1", "--outbox", str(outbox), "--kiosk", "somewhere:http"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "HOST:PORT" in done.stderr
    assert not outbox.exists()
