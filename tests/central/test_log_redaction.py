"""The central's log and error messages never show the broker's or the database's password.

Issue 14, Medium 10: ``campusgate central`` logged its broker URL, password
included, at INFO on every start.  The real process is started as systemd would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernel.codes import new_key
from kernel.redact import redact_url
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.processes import ROOT, Processes

pytestmark = pytest.mark.mqtt

PASSWORD = "Pa55-w0rd-of-the-central"


def test_the_central_logs_its_broker_without_the_password(
    broker: LocalBroker, sqlite_url: str, site: str, tmp_path: Path, processes: Processes
) -> None:
    new_key(tmp_path / "keys")
    url = broker.url.replace("mqtt://", f"mqtt://central:{PASSWORD}@")
    log = tmp_path / "central.log"
    central = processes.central(
        "--broker", url, "--db", sqlite_url, "--site", site, "--keys", str(tmp_path / "keys"),
        "--no-upgrade", log=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "serving site" not in log.read_text():
        assert central.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    text = log.read_text()
    assert PASSWORD not in text
    assert f"mqtt://central:***@127.0.0.1:{broker.port}" in text


@pytest.mark.parametrize(
    "wrong",
    [
        ["--broker", f"mqtt://central:{PASSWORD}@127.0.0.1:1883?bogus=1"],
        ["--db", f"postgresql+psycopg://cg:{PASSWORD}@127.0.0.1:no-port/cg"],
    ],
)
def test_a_bad_url_is_reported_without_its_password(
    wrong: list[str], sqlite_url: str, tmp_path: Path
) -> None:
    new_key(tmp_path / "keys")
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "central", "--no-upgrade",
         "--keys", str(tmp_path / "keys"), "--db", sqlite_url, *wrong],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert PASSWORD not in result.stdout + result.stderr
    assert "***" in result.stderr, result.stderr


def test_redaction_keeps_everything_but_the_secrets() -> None:
    assert redact_url("mqtts://gate:p%40ss@broker:8883?cafile=/etc/ca.pem") == (
        "mqtts://gate:***@broker:8883?cafile=/etc/ca.pem"
    )
    assert redact_url("sqlite:///var/campusgate.db") == "sqlite:///var/campusgate.db"
    assert redact_url("https://relay.example/hook?access_token=abc&lang=zh") == (
        "https://relay.example/hook?access_token=***&lang=zh"
    )
    assert redact_url("mqtt://127.0.0.1:1883") == "mqtt://127.0.0.1:1883"
    # A chat bot's token in its path (Feishu) or query (WeCom): hidden, the rest kept.
    assert redact_url("https://open.feishu.cn/open-apis/bot/v2/hook/5e3d-587e?x=1") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/***?x=1"
    )
    assert redact_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    )
    assert redact_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"
