"""A private Mosquitto running the files ``campusgate broker config`` wrote, plain and TLS."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.broker_admin import load_inventory, write_broker_files
from services.broker_admin.generate import BrokerFiles, BrokerOptions, TlsFiles
from services.broker_admin.local_broker import LocalBroker, free_port
from tests.broker.tls import TestPki, make_pki

SITE = "main"
GATES_TOML = """
[[gate]]
site = "main"
gate = "north-1"

[[gate]]
site = "main"
gate = "south-2"

[[gate]]
site = "main"
gate = "rotate-1"

[[service]]
role = "central"
user = "central"

[[service]]
role = "web"
user = "web"

[[service]]
role = "admin"
user = "ops"
"""


@dataclass
class SecureBroker:
    broker: LocalBroker
    files: BrokerFiles
    gates_file: Path
    options: BrokerOptions
    tls_port: int
    pki: TestPki

    def url(self, user: str, password: str | None = None) -> str:
        secret = self.files.passwords[user] if password is None else password
        return f"mqtt://{user}:{secret}@127.0.0.1:{self.broker.port}"

    def tls_url(self, user: str, *, ca: bool = True) -> str:
        query = f"?cafile={self.pki.ca}" if ca else ""
        password = self.files.passwords[user]
        return f"mqtts://{user}:{password}@127.0.0.1:{self.tls_port}{query}"


@contextlib.contextmanager
def running_secure_broker(base: Path) -> Iterator[SecureBroker]:
    """A broker from ``campusgate broker config`` on spare loopback ports, under ``base``."""
    gates = base / "gates.toml"
    gates.write_text(GATES_TOML, encoding="utf-8")
    pki = make_pki(base / "pki")
    port, tls_port = free_port(), free_port()
    options = BrokerOptions(
        port=port,
        tls_port=tls_port,
        bind="127.0.0.1",
        tls=TlsFiles(pki.cert, pki.key, pki.ca),
        data_dir=None,
        # Mosquitto started as root drops to `mosquitto` before reading its files;
        # the test's broker runs as whoever runs the tests, like the files it reads.
        broker_user="root" if os.geteuid() == 0 else None,
    )
    files = write_broker_files(load_inventory(gates), base / "broker", options)
    with LocalBroker(port, workdir=base / "run", config=files.config) as broker:
        yield SecureBroker(broker, files, gates, options, tls_port, pki)


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    with running_secure_broker(tmp_path_factory.mktemp("secure-broker")) as broker:
        yield broker


@pytest.fixture
def own_secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """A generated-config broker for one test (one that leaves sessions behind)."""
    with running_secure_broker(tmp_path_factory.mktemp("own-broker")) as broker:
        yield broker
