"""Broker settings that are part of the product, and a private local Mosquitto.

Mosquitto's default ``max_queued_messages 1000`` silently drops QoS 1 messages
for a slow persistent subscriber while still acknowledging the publisher, and
without ``set_tcp_nodelay`` every round trip pays ~40 ms of Nagle delay.  Every
configuration campusgate writes therefore carries :data:`REQUIRED_SETTINGS`.

:class:`LocalBroker` starts a Mosquitto of our own on a spare loopback port (the
demo, benchmarks and fault tests use it) and stops it by PID.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path, PurePath
from types import TracebackType

from kernel.errors import ConfigError

REQUIRED_SETTINGS = (
    "set_tcp_nodelay true",
    # 0 = unlimited: a burst for a slow persistent subscriber is queued, not dropped.
    "max_queued_messages 0",
    "max_queued_bytes 0",
    "max_inflight_messages 1000",
    "persistent_client_expiration 14d",
    "max_packet_size 1048576",
)
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def persistence_settings(persistence_dir: PurePath | None) -> list[str]:
    """Broker persistence lines: on disk in ``persistence_dir``, or none."""
    if persistence_dir is None:
        return ["persistence false"]
    return ["persistence true", f"persistence_location {persistence_dir}/"]


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def render_config(
    port: int, *, persistence_dir: Path | None = None, bind: str = "127.0.0.1"
) -> str:
    """A complete anonymous-listener config with the project's required settings.

    Anonymous access is for the demo's, the tests' and the benchmarks' own broker
    on this machine only: any other address is refused (a real broker is made by
    ``campusgate broker config``, with accounts).
    """
    if bind not in LOOPBACK:
        raise ConfigError(f"an anonymous broker listens on loopback only, not on {bind!r}")
    lines = [
        "# written by campusgate; services/broker_admin/local_broker.py says why for each line",
        f"listener {port} {bind}",
        "allow_anonymous true",
        *REQUIRED_SETTINGS,
        *persistence_settings(persistence_dir),
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    """A currently unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class LocalBroker:
    """A private Mosquitto on 127.0.0.1; ``with LocalBroker() as broker: broker.url``.

    By default it writes its own anonymous config (:func:`render_config`); with
    ``config`` it runs that file instead (e.g. one from ``campusgate broker
    config``), which must listen on ``port`` on 127.0.0.1.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        workdir: Path | None = None,
        persistent: bool = False,
        config: Path | None = None,
    ) -> None:
        if config is not None and port is None:
            raise ConfigError("LocalBroker with a config file needs the port it listens on")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise ConfigError("mosquitto is not installed (run `make setup`)")
        self.binary = binary
        self.port = port or free_port()
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="campusgate-broker-"))
        self.persistent = persistent
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> LocalBroker:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.config or self._write_own_config()
        log_file = (self.workdir / "mosquitto.log").open("ab")
        with log_file:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(config)], stdout=log_file, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ConfigError(
                    f"mosquitto did not start on port {self.port}: see {self.workdir}"
                )
            time.sleep(0.02)
        return self

    def _write_own_config(self) -> Path:
        config = self.workdir / "mosquitto.conf"
        persistence = self.workdir / "data" if self.persistent else None
        if persistence is not None:
            persistence.mkdir(exist_ok=True)
        config.write_text(render_config(self.port, persistence_dir=persistence), encoding="utf-8")
        return config

    @property
    def log_text(self) -> str:
        """What the broker has logged so far (its stdout and stderr)."""
        path = self.workdir / "mosquitto.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def reload(self) -> None:
        """SIGHUP: Mosquitto re-reads its password file (credential rotation)."""
        if self.process is None or self.process.poll() is not None:
            raise ConfigError("the broker is not running")
        self.process.send_signal(signal.SIGHUP)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop our broker by PID (SIGKILL to simulate a crash)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def pid_alive(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 0)
        return True
    return False
