"""``--log-format json``: one JSON object per line, with event_id and gate where there is one."""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from kernel.logjson import JsonFormatter, passage_fields
from services.broker_admin.local_broker import LocalBroker
from services.cli.main import build_parser, main
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.processes import Processes, campusgate
from tests.fixtures.waiting import wait_until

LONG_RUNNING = [
    ["central"],
    ["web"],
    ["gate"],
    ["demo"],
    ["report", "schedule"],
    ["audit", "seal", "--every", "1m"],
    ["retention", "run", "--days", "30", "--at", "03:00"],
]


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ready(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def lines_of(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_record_is_one_line_of_json_with_its_passage_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.propagate = False
    event = uuid.uuid4()
    try:
        logger.warning("gate %s:\nline two 门", "north-1",
                       extra=passage_fields(event_id=event, gate="north-1"))  # fmt: skip
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    first, second = lines_of(stream.getvalue())
    assert first["message"] == "gate north-1:\nline two 门"
    assert (first["event_id"], first["gate"], first["level"]) == (str(event), "north-1", "WARNING")
    assert str(first["ts"]).endswith("+00:00")
    assert "ValueError: boom" in str(second["exc"])
    assert "event_id" not in second


@pytest.mark.parametrize("words", LONG_RUNNING, ids=lambda w: " ".join(w[:2]))
def test_every_long_running_command_takes_the_option(words: list[str]) -> None:
    args = build_parser().parse_args([*words, "--log-format", "json"])
    assert args.log_format == "json"
    assert build_parser().parse_args(["--log-format", "json", *words]).log_format == "json"


def test_a_bad_format_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPUSGATE_LOG_FORMAT", "xml")
    assert main(["health", "--heartbeat", "/nonexistent"]) == 2


@pytest.mark.mqtt
def test_the_central_worker_logs_json_with_event_id_and_gate(
    broker: LocalBroker, campus_db: str, campus: Campus, site: str, processes: Processes,
    tmp_path: Path,
) -> None:  # fmt: skip
    log = tmp_path / "central.log"
    port = spare_port()
    worker = processes.central(
        "--broker", broker.url, "--db", campus_db, "--site", site, "--keys",
        str(campus.keys_dir), "--no-upgrade", "--log-format", "json",
        "--http", f"127.0.0.1:{port}", log=log,
    )  # fmt: skip
    assert wait_until(lambda: ready(f"http://127.0.0.1:{port}/readyz"), timeout=60)
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        # Decided "admit" offline, "deny" here (nobody known): a warning about that passage.
        offline = passage(site, None, gate="south-3", local_decision="admit")
        assert gate.request(offline, timeout=30) is not None
    finally:
        gate.close()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    records = lines_of(log.read_text(encoding="utf-8"))  # every line parses
    about = [r for r in records if r.get("event_id") == str(offline.event_id)]
    assert about, records[-5:]
    assert about[0]["gate"] == "south-3"
    assert about[0]["level"] == "WARNING"


def test_a_scheduled_job_logs_json_lines(tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    job = subprocess.Popen(
        campusgate("--log-format", "json", "audit", "seal", "--every", "1s", "--heartbeat",
                   str(beat), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_until(beat.exists)
    finally:
        job.send_signal(signal.SIGTERM)
        _out, err = job.communicate(timeout=30)
    assert job.returncode == 0
    records = lines_of(err)
    assert records
    assert {"ts", "level", "logger", "message"} <= set(records[0])
