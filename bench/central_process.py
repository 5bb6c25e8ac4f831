"""``campusgate central`` as its own process, like production, started and stopped by PID."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from schemas.topics import SiteChannel, site_topic

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30


class CentralProcess:
    """One central worker process; ``start`` returns once it is subscribed and serving."""

    def __init__(
        self, broker_url: str, db_url: str, keys: Path, log: Path, *, site: str,
        worker_id: str = "1",
    ) -> None:  # fmt: skip
        self.broker_url = broker_url
        self.site = site
        self.worker_id = worker_id
        self.args = [
            sys.executable, "-m", "services.cli.main", "central",
            "--broker", broker_url, "--db", db_url, "--site", site,
            "--keys", str(keys), "--worker-id", worker_id, "--no-upgrade",
            "--http", "127.0.0.1:0",  # metrics on, as deployed (docker-compose.yml)
        ]  # fmt: skip
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # A worker announces the policy once its subscription is in place. Another
        # worker's announcement may already be retained: only a live one counts.
        ready = threading.Event()

        def on_policy(message: InboundMessage) -> None:
            if not message.retain:
                ready.set()

        watcher = MqttBus(
            parse_broker_url(self.broker_url),
            client_id=f"bench-ready-{uuid.uuid4().hex[:6]}",
            on_message=on_policy,
            subscriptions=((site_topic(self.site, SiteChannel.POLICY), 1),),
        )
        watcher.connect()
        try:
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    self.args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
                )
            if not ready.wait(STARTUP_TIMEOUT_S):
                raise RuntimeError(f"central worker {self.worker_id} did not start; see {self.log}")
        finally:
            watcher.close()

    def kill(self) -> None:
        """SIGKILL: a crash in the middle of whatever batch it holds."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT_S)
            self.process = None

    def stop(self) -> None:
        """SIGTERM: finish the batch in hand and disconnect."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            self.process.wait(STOP_TIMEOUT_S)
            self.process = None
