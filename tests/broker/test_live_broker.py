"""The generated accounts and ACLs against a real Mosquitto: each account can do its job only."""

from __future__ import annotations

import gc
import queue
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kernel.bus.mqtt import InboundMessage, MqttBus, parse_broker_url
from kernel.bus.reasons import NOT_AUTHORIZED
from kernel.errors import BusError
from schemas.ids import uuid7
from schemas.messages import Credential, FeverAlert, Passage, Temperature
from schemas.topics import GateChannel, SiteChannel, everything, gate_topic, site_topic
from services.broker_admin import load_inventory, write_broker_files
from tests.fixtures.campus import make_campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.mqtt import Listener
from tests.fixtures.processes import Processes
from tests.fixtures.secure_broker import SITE, SecureBroker

pytestmark = pytest.mark.mqtt

Listen = Callable[..., Listener]
SETTLE_S = 0.3  # after a barrier message, time for anything stray to show up


def client(url: str, name: str, *filters: str) -> tuple[MqttBus, queue.SimpleQueue[InboundMessage]]:
    inbox: queue.SimpleQueue[InboundMessage] = queue.SimpleQueue()
    bus = MqttBus(
        parse_broker_url(url),
        client_id=f"test-{name}-{uuid7().hex[:8]}",
        on_message=inbox.put,
        subscriptions=tuple((f, 1) for f in filters),
    )
    bus.connect()
    return bus, inbox


def drain_until(inbox: queue.SimpleQueue[InboundMessage], last_topic: str) -> list[str]:
    """Live topics received up to and including ``last_topic``, plus whatever follows briefly.

    Retained messages (an earlier test's gate status) are left out: only what was
    published during the test counts.
    """
    topics: list[str] = []

    def take(timeout: float) -> None:
        message = inbox.get(timeout=timeout)
        if not message.retain:
            topics.append(message.topic)

    while last_topic not in topics:
        take(10)
    deadline = time.monotonic() + SETTLE_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            take(left)
        except queue.Empty:
            break
    return topics


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_gate_publishes_its_own_passages_and_status(
    secure_broker: SecureBroker, listen: Listen
) -> None:
    ops = listen(secure_broker.url("ops"), everything(SITE))
    gate, _ = client(secure_broker.url("north-1"), "north-1")
    try:
        passage = gate_topic(SITE, "north-1", GateChannel.PASSAGE)
        status = gate_topic(SITE, "north-1", GateChannel.STATUS)
        gate.publish(passage, b"p")
        gate.publish(status, b"s", retain=True)
        assert {ops.get().topic, ops.get().topic} == {passage, status}
        assert wait_for(lambda: gate.refused_publishes == 0)
    finally:
        gate.close()


def test_gate_cannot_publish_as_another_gate_or_as_central(
    secure_broker: SecureBroker, listen: Listen
) -> None:
    ops = listen(secure_broker.url("ops"), everything(SITE))
    forged = [
        gate_topic(SITE, "south-2", GateChannel.PASSAGE),
        gate_topic(SITE, "south-2", GateChannel.STATUS),
        gate_topic(SITE, "north-1", GateChannel.DECISION),  # answering itself
        gate_topic(SITE, "south-2", GateChannel.COMMAND),
        site_topic(SITE, SiteChannel.FEVER_ALERT),
        site_topic(SITE, SiteChannel.POLICY),
    ]
    # Mosquitto 2.0.11 answers a forged QoS 1 publish "Not authorized", drops it and
    # closes the connection: one connection per attempt keeps paho's reconnect
    # back-off out of the test.
    for topic in forged:
        gate, _ = client(secure_broker.url("north-1"), "north-1")
        try:
            gate.publish(topic, b"forged")
            assert wait_for(lambda gate=gate: gate.refused_publishes == 1), topic
        finally:
            gate.close()
    barrier = gate_topic(SITE, "north-1", GateChannel.PASSAGE)
    gate, _ = client(secure_broker.url("north-1"), "north-1")
    try:
        gate.publish(barrier, b"own")
        assert drain_until(ops.messages, barrier) == [barrier]
        assert gate.refused_publishes == 0
    finally:
        gate.close()


def test_gate_reads_only_its_own_decisions_and_commands(secure_broker: SecureBroker) -> None:
    foreign = [
        gate_topic(SITE, "south-2", GateChannel.DECISION),
        gate_topic(SITE, "south-2", GateChannel.COMMAND),
        gate_topic(SITE, "south-2", GateChannel.PASSAGE),
        gate_topic(SITE, "north-1", GateChannel.PASSAGE),  # not even its own passages back
        site_topic(SITE, SiteChannel.FEVER_ALERT),
        everything(SITE),
        "#",
    ]
    # The broker refuses the subscription itself (SUBACK "Not authorized").
    for topic_filter in foreign:
        with pytest.raises(BusError, match="subscription refused: Not authorized"):
            client(secure_broker.url("north-1"), "north-1", topic_filter)
    own = [
        gate_topic(SITE, "north-1", GateChannel.DECISION),
        gate_topic(SITE, "north-1", GateChannel.COMMAND),
        site_topic(SITE, SiteChannel.POLICY),
    ]
    gate, inbox = client(secure_broker.url("north-1"), "north-1", *own)
    ops, _ = client(secure_broker.url("ops"), "ops")
    try:
        for topic in [*foreign[:5], *own]:
            ops.publish(topic, b"x")
        received = drain_until(inbox, own[-1])
        assert received == own
    finally:
        gate.close()
        ops.close()


@pytest.mark.parametrize(
    ("user", "password"),
    [("north-1", "wrong-password"), ("nobody", "whatever"), ("north-1", "")],
)
def test_wrong_credentials_are_refused(
    secure_broker: SecureBroker, user: str, password: str
) -> None:
    url = (
        secure_broker.url(user, password)
        if password
        else f"mqtt://127.0.0.1:{secure_broker.broker.port}"
    )
    bus = MqttBus(parse_broker_url(url), client_id=f"test-refused-{uuid7().hex[:8]}")
    started = time.monotonic()
    with pytest.raises(BusError, match="did not accept us: Not authorized") as raised:
        bus.connect()
    assert time.monotonic() - started < 5  # refused at once, not after the connect timeout
    assert (raised.value.reason_code, raised.value.reason_name) == (
        NOT_AUTHORIZED,
        "Not authorized",
    )


def passage(code: str, celsius: str) -> Passage:
    now = datetime.now(UTC)
    return Passage(
        event_id=uuid7(), site=SITE, gate="north-1", direction="in", ts=now,
        credentials=[Credential(kind="qr", data=code)],
        temperature=Temperature(celsius=Decimal(celsius), sensor="ir-0", measured_at=now),
        mask=True,
    )  # fmt: skip


def test_central_service_works_with_its_account(
    secure_broker: SecureBroker,
    sqlite_url: str,
    tmp_path: Path,
    processes: Processes,
    listen: Listen,
) -> None:
    campus = make_campus(sqlite_url, tmp_path / "keys")
    policy = listen(secure_broker.url("north-1"), site_topic(SITE, SiteChannel.POLICY))
    clinic = listen(secure_broker.url("web"), site_topic(SITE, SiteChannel.FEVER_ALERT))
    log = tmp_path / "central.log"
    processes.central(
        "--broker", secure_broker.url("central"), "--db", sqlite_url,
        "--site", SITE, "--keys", str(campus.keys_dir), log=log,
    )  # fmt: skip
    policy.get(timeout=30)  # central published the retained policy with its account
    gate = DecisionClient(secure_broker.url("north-1"), site=SITE, gate="north-1").connect()
    try:
        admitted = gate.request(passage(campus.code(campus.people[0].person_id), "36.6"), 15)
        fever = gate.request(passage(campus.code(campus.people[1].person_id), "38.1"), 15)
    finally:
        gate.close()
    assert admitted is not None, log.read_text()
    assert admitted.decision == "admit"
    assert fever is not None
    assert fever.decision == "isolate"
    alert = FeverAlert.model_validate_json(clinic.get().payload)
    assert (alert.gate, alert.case_id) == ("north-1", fever.case_id)


def test_tls_client_connects_with_the_campus_ca(
    secure_broker: SecureBroker, listen: Listen
) -> None:
    ops = listen(secure_broker.url("ops"), everything(SITE))
    gate, _ = client(secure_broker.tls_url("north-1"), "north-1-tls")
    try:
        topic = gate_topic(SITE, "north-1", GateChannel.READING)
        gate.publish(topic, b"over tls")
        assert drain_until(ops.messages, topic) == [topic]
    finally:
        gate.close()
    # Without the campus CA the broker's certificate is not trusted.
    untrusted = MqttBus(parse_broker_url(secure_broker.tls_url("north-1", ca=False)),
                        client_id=f"test-untrusted-{uuid7().hex[:8]}")  # fmt: skip
    with warnings.catch_warnings():
        # paho drops the socket of a failed TLS handshake without closing it; it is
        # collected here, under this filter, instead of failing a later test.
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(BusError, match="certificate verify failed"):
            untrusted.connect(timeout_s=3)
        gc.collect()


def test_rotation_takes_effect_on_reload(secure_broker: SecureBroker) -> None:
    old = secure_broker.url("rotate-1")
    bus, _ = client(old, "rotate-old")
    bus.close()
    rotated = write_broker_files(
        load_inventory(secure_broker.gates_file),
        secure_broker.files.out_dir,
        replace(secure_broker.options, rotate=("rotate-1",)),
    )
    assert rotated.rotated == ["rotate-1"]
    unchanged = {u: p for u, p in rotated.passwords.items() if u != "rotate-1"}
    assert unchanged == {u: p for u, p in secure_broker.files.passwords.items() if u != "rotate-1"}
    secure_broker.broker.reload()
    new = secure_broker.url("rotate-1", rotated.passwords["rotate-1"])

    def new_password_works() -> bool:
        try:
            client(new, "rotate-new")[0].close()
        except BusError:
            return False
        return True

    assert wait_for(new_password_works)
    with pytest.raises(BusError, match="Not authorized"):
        client(old, "rotate-old-again")


def test_web_reads_passages_and_commands_for_its_live_views(
    secure_broker: SecureBroker, listen: Listen
) -> None:
    """Issue 14 (Low): the live views join a decision with its passage and show commands."""
    passages = gate_topic(SITE, "north-1", GateChannel.PASSAGE)
    commands = gate_topic(SITE, "north-1", GateChannel.COMMAND)
    web = listen(secure_broker.url("web"), passages, commands)
    gate, _ = client(secure_broker.url("north-1"), "north-1")
    central, _ = client(secure_broker.url("central"), "central")
    try:
        gate.publish(passages, b"passage")
        central.publish(commands, b"command")
        assert sorted(drain_until(web.messages, commands)) == sorted([passages, commands])
    finally:
        gate.close()
        central.close()
    # Reading is all it gained: it still cannot answer a gate or alert the clinic.
    for topic in (gate_topic(SITE, "north-1", GateChannel.DECISION),
                  site_topic(SITE, SiteChannel.FEVER_ALERT)):  # fmt: skip
        bus, _ = client(secure_broker.url("web"), "web")
        try:
            bus.publish(topic, b"forged")
            assert wait_for(lambda bus=bus: bus.refused_publishes == 1), topic
        finally:
            bus.close()


def test_an_anonymous_client_cannot_open_a_gate(
    secure_broker: SecureBroker, listen: Listen
) -> None:
    """Issue 14, High 3: the shipped config let an anonymous `open` reach a turnstile."""
    commands = gate_topic(SITE, "north-1", GateChannel.COMMAND)
    gate = listen(secure_broker.url("north-1"), commands)
    anonymous = MqttBus(
        parse_broker_url(f"mqtt://127.0.0.1:{secure_broker.broker.port}"),
        client_id=f"test-anonymous-{uuid7().hex[:8]}",
        subscriptions=((commands, 1),),
    )
    with pytest.raises(BusError, match="did not accept us: Not authorized"):
        anonymous.connect()
    central, _ = client(secure_broker.url("central"), "central")
    try:
        central.publish(commands, b"barrier")
        assert drain_until(gate.messages, commands) == [commands]  # the barrier, nothing else
    finally:
        central.close()
