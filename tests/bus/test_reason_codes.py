"""Bus errors carry the broker's MQTT reason code: a real Mosquitto refuses, we read the code.

The broker runs Mosquitto's dynamic-security plugin: it checks passwords like the
project's password files do, and unlike the plain ACL file it also refuses a
subscription at SUBACK time (the ACL file grants every subscription and filters
delivery), so both refusals can be provoked.
"""

from __future__ import annotations

import glob
import json
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from kernel.bus.mqtt import MqttBus, parse_broker_url
from kernel.bus.reasons import NOT_AUTHORIZED
from kernel.errors import BusError
from services.broker_admin.local_broker import REQUIRED_SETTINGS, LocalBroker, free_port
from services.broker_admin.passwords import hash_password

pytestmark = pytest.mark.mqtt

USER, PASSWORD = "reader", "right-password-1"
# Only this filter may be subscribed to; nothing may be published.
READABLE = "allowed/#"
PLUGIN_GLOB = "/usr/lib/*/mosquitto_dynamic_security.so"
# What Mosquitto 2.0 answers a client id it will not take (MQTT 5 would allow 0x85).
UNSPECIFIED_ERROR = 0x80
REFUSED_AT_ONCE_S = 5.0  # a refusal ends connect() at once, not after its timeout


def dynamic_security(user: str, password: str) -> dict[str, object]:
    """The plugin's JSON: one client whose role may subscribe to READABLE only."""
    _, _, iterations, salt, digest = hash_password(password).split("$")
    return {
        "clients": [
            {
                "username": user,
                "password": digest,
                "salt": salt,
                "iterations": int(iterations),
                "roles": [{"rolename": "reader"}],
            }
        ],
        "roles": [
            {
                "rolename": "reader",
                "acls": [{"acltype": "subscribePattern", "topic": READABLE, "allow": True}],
            },
        ],
        "groups": [],
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
    }


@pytest.fixture(scope="module")
def strict_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    plugins = glob.glob(PLUGIN_GLOB)
    assert plugins, f"Mosquitto's dynamic security plugin is missing ({PLUGIN_GLOB})"
    base = tmp_path_factory.mktemp("strict-broker")
    state = base / "dynamic-security.json"
    state.write_text(json.dumps(dynamic_security(USER, PASSWORD)), encoding="utf-8")
    port = free_port()
    lines = [
        # As root Mosquitto would drop to `mosquitto` and not read the test's files.
        *(["user root"] if os.geteuid() == 0 else []),
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        "allow_zero_length_clientid false",  # a second refusal, with a code of its own
        f"plugin {plugins[0]}",
        f"plugin_opt_config_file {state}",
        *REQUIRED_SETTINGS,
        "persistence false",
    ]
    config = base / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with LocalBroker(port, workdir=base / "run", config=config) as broker:
        yield broker


def bus(
    broker: LocalBroker,
    password: str = PASSWORD,
    *,
    client_id: str | None = None,
    subscriptions: tuple[tuple[str, int], ...] = (),
) -> MqttBus:
    url = f"mqtt://{USER}:{password}@127.0.0.1:{broker.port}"
    if client_id is None:
        client_id = f"test-reason-{uuid.uuid4().hex[:8]}"
    return MqttBus(parse_broker_url(url), client_id=client_id, subscriptions=subscriptions)


def refusal(client: MqttBus) -> BusError:
    started = time.monotonic()
    with pytest.raises(BusError) as raised:
        client.connect()
    assert time.monotonic() - started < REFUSED_AT_ONCE_S
    return raised.value


def test_a_wrong_password_is_refused_with_not_authorized(strict_broker: LocalBroker) -> None:
    error = refusal(bus(strict_broker, password="wrong-password"))
    assert (error.reason_code, error.reason_name) == (NOT_AUTHORIZED, "Not authorized")
    assert "did not accept us: Not authorized" in str(error)


def test_a_client_id_the_broker_will_not_take_has_its_own_code(
    strict_broker: LocalBroker,
) -> None:
    # An empty client id asks the broker to name us; this one is set not to.
    error = refusal(bus(strict_broker, client_id=""))
    assert (error.reason_code, error.reason_name) == (UNSPECIFIED_ERROR, "Unspecified error")


def test_a_refused_subscription_carries_the_subacks_code(strict_broker: LocalBroker) -> None:
    allowed = bus(strict_broker, subscriptions=(("allowed/x", 1),))
    allowed.connect()  # the same account, a filter its role grants: accepted
    allowed.close()
    error = refusal(bus(strict_broker, subscriptions=(("allowed/x", 1), ("secret/#", 1))))
    assert (error.reason_code, error.reason_name) == (NOT_AUTHORIZED, "Not authorized")
    assert "subscription refused: Not authorized" in str(error)


def test_a_refused_publish_is_counted_with_its_code(strict_broker: LocalBroker) -> None:
    client = bus(strict_broker)
    client.connect()
    try:
        assert client.last_refused_publish is None
        client.publish("allowed/x", b"not ours to send", qos=1)
        deadline = time.monotonic() + 10
        while client.refused_publishes == 0:
            assert time.monotonic() < deadline, "no PUBACK came"
            time.sleep(0.01)
        refused = client.last_refused_publish
        assert refused is not None
        assert (refused.reason_code, refused.reason_name) == (NOT_AUTHORIZED, "Not authorized")
    finally:
        client.close()


def test_a_failure_inside_the_client_carries_pahos_error_number() -> None:
    # Never connected: paho refuses before any broker is asked.
    client = MqttBus(parse_broker_url("mqtt://127.0.0.1:1"), client_id="test-reason-offline")
    with pytest.raises(BusError) as raised:
        client.unsubscribe("anything/#")
    assert (raised.value.reason_code, raised.value.reason_name) == (4, "MQTT_ERR_NO_CONN")


def test_no_answer_at_all_has_no_code() -> None:
    port = free_port()  # nothing listens there
    client = MqttBus(parse_broker_url(f"mqtt://127.0.0.1:{port}"), client_id="test-reason-none")
    with pytest.raises(BusError, match="cannot reach the broker") as raised:
        client.connect(timeout_s=2)
    assert (raised.value.reason_code, raised.value.reason_name) == (None, None)
