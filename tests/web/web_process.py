"""``campusgate web`` in a process of its own, so a test can measure the memory the real
service spends on an attack (its peak RSS, reset before the attack)."""

from __future__ import annotations

import os
import resource
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from services.broker_admin.local_broker import free_port
from tests.web.server import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 60.0
# A runaway allocation ends in MemoryError, not in the machine's memory (the old code
# tried to fill a merged range of 17 billion cells).
ADDRESS_SPACE_BYTES = 6 * 1024**3


class WebProcess:
    def __init__(self, *, broker_url: str, db_url: str, site: str, log: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log
        self._log: IO[bytes] = log.open("wb")
        base = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUSGATE_")}
        command = [
            sys.executable, "-m", "services.cli.main", "web", "--db", db_url,
            "--broker", broker_url, "--site", site, "--port", str(self.port),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **base,
                "PYTHONPATH": str(ROOT),
                "MALLOC_ARENA_MAX": "2",  # keep the address space of its threads small
                "CAMPUSGATE_WEB__SESSION_SECRET": "s" * 40,
                "CAMPUSGATE_ID_HASH_KEY": secrets.token_hex(32),
                **env,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        limit = (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES)
        resource.prlimit(self.process.pid, resource.RLIMIT_AS, limit)

    def wait_ready(self) -> WebProcess:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"campusgate web did not start: {self.log_text()}")
            time.sleep(0.1)

    def log_text(self) -> str:
        self._log.flush()
        return self._log_path.read_text(errors="replace")

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field} for process {self.process.pid}")

    def rss(self) -> int:
        return self._status("VmRSS")

    def reset_peak(self) -> int:
        """Start a new peak (VmHWM) at the current RSS; returns that RSS in bytes."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        return self.rss()

    def peak(self) -> int:
        return self._status("VmHWM")

    def client(self, username: str | None = None) -> httpx.Client:
        if username is None:
            return httpx.Client(base_url=self.url, timeout=60)
        body = {"username": username, "password": PASSWORD}
        signed = httpx.post(f"{self.url}/api/v1/session", json=body, timeout=60)
        signed.raise_for_status()
        return httpx.Client(
            base_url=self.url,
            timeout=UPLOAD_TIMEOUT_S,
            cookies={"cg_session": signed.cookies["cg_session"]},
            headers={"X-CSRF-Token": signed.json()["csrf_token"]},
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
