"""``campusgate web`` as a process: refuses the demo secret, serves, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.broker_admin.local_broker import LocalBroker, free_port
from services.cli.main import main

pytestmark = pytest.mark.mqtt
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60  # a Python start and every import; slow on a loaded machine


def web_command(broker: LocalBroker, db_url: str, site: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "services.cli.main", "web", "--db", db_url, "--broker", broker.url,
        "--site", site, "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUSGATE_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_the_demo_secret_is_refused_outside_the_demo(
    broker: LocalBroker,
    site: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Refused before anything starts, so the command runs in this process (a Python
    start and the web imports cost ~8 s here; the test below starts the real process).
    Were the secret let through, the database under a file would end the command at
    once, with another message, instead of serving."""
    for name in [name for name in os.environ if name.startswith("CAMPUSGATE_")]:
        monkeypatch.delenv(name)
    (tmp_path / "a-file").write_text("")
    argv = web_command(broker, f"sqlite:///{tmp_path / 'a-file' / 'x.db'}", site, free_port())
    assert argv[1:3] == ["-m", "services.cli.main"]
    assert main(argv[3:]) == 2
    assert "CAMPUSGATE_WEB__SESSION_SECRET" in capsys.readouterr().err


def test_campusgate_web_serves_and_stops_on_sigterm(
    broker: LocalBroker, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(CAMPUSGATE_WEB__SESSION_SECRET="a" * 40)
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        web_command(broker, sqlite_url, site, port), env=env, cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None, (tmp_path / "web.log").read_text()
                assert time.monotonic() < deadline, "campusgate web did not start"
                time.sleep(0.1)
        assert page.status_code == 200
        assert 'name="csrf_token"' in page.text
        schema = httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5).json()
        assert "/api/v1/gates/{gate}/commands" in schema["paths"]
        css = httpx.get(f"http://127.0.0.1:{port}/static/css/app.css", timeout=5)
        assert css.status_code == 200
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal for the supervisor.
        assert process.wait(20) in (0, -signal.SIGTERM)
        log.flush()
        assert "Application shutdown complete" in (tmp_path / "web.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()
