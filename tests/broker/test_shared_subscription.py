"""Issue 14, High 1: no gate or web account can starve the central workers.

With an ``acl_file`` Mosquitto 2.0 accepts every SUBSCRIBE, so a gate could join
``$share/central/...``: the broker handed it its share of the passages, refused
delivery, and dropped them (one such connection: half the passages unanswered; a
persistent session that subscribed and left kept doing it for days).  Here the
attack runs against the generated config on a real Mosquitto with a real central
worker: every passage must still be answered, and every attempt refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kernel.bus.mqtt import MqttBus, parse_broker_url
from kernel.errors import BusError
from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from schemas.topics import GateChannel, SiteChannel, gate_filter, shared, site_topic
from tests.fixtures.campus import make_campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.mqtt import Listener
from tests.fixtures.processes import Processes
from tests.fixtures.secure_broker import SITE, SecureBroker

pytestmark = pytest.mark.mqtt

CENTRAL_SHARE = shared(gate_filter(SITE, GateChannel.PASSAGE))
PASSAGES = 30
ANSWER_WITHIN_S = 20.0
SESSION_EXPIRY_S = 3600


def join(url: str, name: str, filter_: str, *, persistent: bool) -> MqttBus | None:
    """Subscribe ``filter_``; the bus if the broker took it, None if it refused."""
    bus = MqttBus(
        parse_broker_url(url),
        client_id=f"thief-{name}-{uuid7().hex[:8]}",
        clean_start=not persistent,
        session_expiry_s=SESSION_EXPIRY_S if persistent else 0,
        subscriptions=((filter_, 1),),
    )
    try:
        bus.connect()
    except BusError as exc:
        if "subscription refused: Not authorized" not in str(exc):
            raise
        return None
    if persistent:
        bus.close()  # the session, and its subscription, stay with the broker
    return bus


def passage(code: str) -> Passage:
    now = datetime.now(UTC)
    return Passage(
        event_id=uuid7(), site=SITE, gate="north-1", direction="in", ts=now,
        credentials=[Credential(kind="qr", data=code)],
        temperature=Temperature(celsius=Decimal("36.6"), sensor="ir-0", measured_at=now),
        mask=True,
    )  # fmt: skip


def test_gates_and_web_cannot_take_the_central_workers_passages(
    own_secure_broker: SecureBroker,
    sqlite_url: str,
    tmp_path: Path,
    processes: Processes,
    listen: Callable[..., Listener],
) -> None:
    broker = own_secure_broker
    campus = make_campus(sqlite_url, tmp_path / "keys")
    policy = listen(broker.url("north-1"), site_topic(SITE, SiteChannel.POLICY))
    log = tmp_path / "central.log"
    processes.central(
        "--broker", broker.url("central"), "--db", sqlite_url,
        "--site", SITE, "--keys", str(campus.keys_dir), log=log,
    )  # fmt: skip
    policy.get(timeout=30)  # the worker is up and subscribed
    attempts = [
        # live members of the central workers' group, and one of another group
        ("north-1", CENTRAL_SHARE, False),
        ("south-2", CENTRAL_SHARE, False),
        ("web", CENTRAL_SHARE, False),
        ("north-1", shared(gate_filter(SITE, GateChannel.PASSAGE), "thieves"), False),
        # sessions that subscribed and left: the broker keeps them, and their share
        ("north-1", CENTRAL_SHARE, True),
        ("rotate-1", CENTRAL_SHARE, True),
    ]
    joined: list[MqttBus] = []
    live: list[MqttBus] = []
    for user, filter_, persistent in attempts:
        bus = join(broker.url(user), user, filter_, persistent=persistent)
        if bus is not None:
            joined.append(bus)
            if not persistent:
                live.append(bus)
    gate = DecisionClient(broker.url("north-1"), site=SITE, gate="north-1").connect()
    try:
        sent = [passage(campus.code(campus.people[i % 10].person_id)) for i in range(PASSAGES)]
        for each in sent:
            gate.send(each)
        deadline = time.monotonic() + ANSWER_WITHIN_S
        answered = sum(
            gate.wait(each.event_id, max(0.0, deadline - time.monotonic())) is not None
            for each in sent
        )
    finally:
        gate.close()
        for bus in live:
            bus.close()
    assert answered == PASSAGES, f"{answered} of {PASSAGES} answered; {len(joined)} thieves in"
    assert joined == [], "the broker let a gate or the web into a shared subscription"
