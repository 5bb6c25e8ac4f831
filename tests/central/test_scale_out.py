"""Several central workers on the shared subscription against PostgreSQL; one is SIGKILLed.

Mosquitto keeps routing the dead worker's share of passages to its persistent
session, so nothing is lost as long as that worker id comes back (systemd
``Restart=always``, Docker's restart policy); the check is that every passage is
then answered and logged exactly once.
"""

from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from schemas.messages import Decision, Passage
from schemas.topics import SiteChannel, site_topic
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.campus import make_campus
from tests.fixtures.central import rows
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.mqtt import Listener, wait_live_policy
from tests.fixtures.passages import passage
from tests.fixtures.processes import Processes

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.slow]

PASSAGES = 400
KILL_AT = 200
ANSWER_TIMEOUT_S = 60


def test_two_workers_share_passages_and_a_killed_one_loses_nothing(
    broker: LocalBroker,
    postgres_url: str,
    site: str,
    tmp_path: Path,
    processes: Processes,
    listen: object,
) -> None:
    campus = make_campus(postgres_url, tmp_path / "keys")
    common = ("--broker", broker.url, "--db", postgres_url, "--site", site,
              "--keys", str(campus.keys_dir), "--no-upgrade")  # fmt: skip
    policy: Listener = listen(broker.url, site_topic(site, SiteChannel.POLICY))  # type: ignore[operator]
    logs = {wid: tmp_path / f"central-{wid}.log" for wid in ("1", "2")}
    workers = {}
    for wid, log in logs.items():
        workers[wid] = processes.central(*common, "--worker-id", wid, log=log)
        wait_live_policy(policy)
    answered: dict[uuid.UUID, int] = {}
    lock = threading.Lock()

    def on_decision(decision: Decision) -> None:
        with lock:
            answered[decision.event_id] = answered.get(decision.event_id, 0) + 1

    gate = DecisionClient(broker.url, site=site, on_decision=on_decision).connect()
    sent: list[Passage] = []
    try:
        for index in range(PASSAGES):
            p = passage(site, campus.code(campus.people[index % 20].person_id))
            sent.append(p)
            gate.send(p)
            if index == KILL_AT:
                workers["2"].send_signal(signal.SIGKILL)  # mid-stream, mid-batch
                workers["2"].wait(10)
                workers["2"] = processes.central(*common, "--worker-id", "2", log=logs["2"])
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while time.monotonic() < deadline:
            with lock:
                if all(p.event_id in answered for p in sent):
                    break
            time.sleep(0.05)
    finally:
        gate.close()
    missing = [p.event_id for p in sent if p.event_id not in answered]
    assert not missing, f"{len(missing)} passages never answered; see {tmp_path}"
    count, _, stored = rows(postgres_url)
    assert count == len(sent)  # exactly once each
    assert all(stored[p.event_id] == "admit" for p in sent)
    # Both workers took a share: stop them cleanly and read what each reported.
    for process in workers.values():
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    for wid, log in logs.items():
        handled = re.findall(r"stopped after (\d+) passages", log.read_text(encoding="utf-8"))
        assert handled, f"worker {wid} did not stop cleanly; see {log}"
        assert int(handled[-1]) > 0, f"worker {wid} decided nothing"


def send_and_wait(gate: DecisionClient, passages: list[Passage], timeout: float) -> list[Passage]:
    """Publish ``passages``; the ones still unanswered after ``timeout``."""
    for p in passages:
        gate.send(p)
    deadline = time.monotonic() + timeout
    return [p for p in passages if gate.wait(p.event_id, max(0.0, deadline - time.monotonic()))
            is None]  # fmt: skip


def test_a_retired_worker_hands_over_its_queue_and_leaves_the_group(
    broker: LocalBroker,
    postgres_url: str,
    site: str,
    tmp_path: Path,
    processes: Processes,
    listen: object,
) -> None:
    campus = make_campus(postgres_url, tmp_path / "keys")
    common = ("--broker", broker.url, "--db", postgres_url, "--site", site,
              "--keys", str(campus.keys_dir), "--no-upgrade")  # fmt: skip
    policy: Listener = listen(broker.url, site_topic(site, SiteChannel.POLICY))  # type: ignore[operator]
    for wid in ("1", "2"):
        processes.central(*common, "--worker-id", wid, log=tmp_path / f"central-{wid}.log")
        wait_live_policy(policy)
    people = [campus.people[i % 20].person_id for i in range(150)]
    batches = [[passage(site, campus.code(pid)) for pid in people[a:b]]
               for a, b in ((0, 100), (100, 150))]  # fmt: skip
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        # Worker 2 stops for good: its session stays and keeps taking half the passages.
        second = processes.started[1]
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        stuck = send_and_wait(gate, batches[0], timeout=3)
        assert 20 < len(stuck) < 80  # about half waits for worker 2
        retire = processes.central(*common, "--worker-id", "2", "--retire",
                                   log=tmp_path / "retire.log")  # fmt: skip
        assert retire.wait(60) == 0
        assert all(gate.wait(p.event_id, 10) is not None for p in stuck)
        # Session 2 is gone: worker 1 alone answers everything now, promptly.
        assert send_and_wait(gate, batches[1], timeout=10) == []
    finally:
        gate.close()
    count, _, _ = rows(postgres_url)
    assert count == 150
    assert "worker 2 retired after" in (tmp_path / "retire.log").read_text(encoding="utf-8")
