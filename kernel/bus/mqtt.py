"""The one module that does MQTT I/O (paho-mqtt 2, MQTT 5).

:class:`MqttBus` wraps a paho client: it turns paho messages into
:class:`InboundMessage` at the boundary, sets TCP_NODELAY on its socket (paho
does not, and a QoS 1 round trip then takes ~88 ms instead of ~0.65 ms), and
raises :class:`kernel.errors.BusError` for anything the broker refuses.
Callbacks run on paho's network thread; publish and ack are thread-safe.

A bus connected with ``network_thread=False`` has no thread of its own: its
owner calls :meth:`MqttBus.poll` in its own loop (:mod:`kernel.bus.polling`),
callbacks run inside that call, and publish and ack write to the socket at once.

Beside it: :mod:`kernel.bus.address` parses broker URLs (re-exported here for
the many callers that import them from this module), :mod:`kernel.bus.reasons`
turns paho's reason codes into ``BusError`` with the code kept.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from kernel.bus.address import BrokerAddress, parse_broker_url
from kernel.bus.polling import RECONNECT_MAX_S, RECONNECT_MIN_S, PolledLoop
from kernel.bus.reasons import KEPT_FOR_LATER, client_failed, first_refusal, refused
from kernel.errors import BusError, ConfigError

__all__ = [
    "RECEIVE_MAXIMUM",
    "BrokerAddress",
    "InboundMessage",
    "MqttBus",
    "parse_broker_url",
]

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
CONNECT_TIMEOUT_S = 10.0
# The broker may hand us this many unacknowledged QoS 1 messages; a batch of
# passages is acknowledged only after its commit, so this bounds a batch.
RECEIVE_MAXIMUM = 2000
# Our own unacknowledged outgoing QoS 1 publishes (decisions, alerts), when
# paho's network thread sends them.  A bus without that thread keeps the window
# itself (paho's own bookkeeping scans every unacknowledged message on each
# PUBACK: quadratic in a burst, half the worker's time at 3,000 passages/s).
MAX_INFLIGHT_OUT = 2000
# MQTT 5: the broker's Receive Maximum when its CONNACK names none.
DEFAULT_RECEIVE_MAXIMUM = 65535
# A publish waiting for room in the window hands the message to paho after this.
WINDOW_WAIT_S = 30.0
# How often a waiting connect() or unsubscribe() looks again.
WAIT_STEP_S = 0.01


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A received message, free of paho types. ``mid`` is for :meth:`MqttBus.ack`."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int


MessageHandler = Callable[[InboundMessage], None]
ConnectionHandler = Callable[[bool], None]


def _set_nodelay(_client: paho.Client, _userdata: Any, sock: Any) -> None:
    # Without TCP_NODELAY, Nagle + delayed ACK add ~40 ms to every small publish.
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _paho_client(
    address: BrokerAddress,
    *,
    client_id: str,
    manual_ack: bool,
    will: tuple[str, bytes, int, bool] | None,
) -> paho.Client:
    """A paho MQTT 5 client with the project's settings (its callbacks not yet set)."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
        manual_ack=manual_ack,
    )
    client.on_socket_open = _set_nodelay
    client.max_inflight_messages_set(MAX_INFLIGHT_OUT)
    client.max_queued_messages_set(0)  # never drop our own outgoing messages
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        try:
            client.tls_set(ca_certs=address.ca_file)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot use TLS settings for {address}: {exc}") from exc
    if will is not None:
        topic, payload, qos, retain = will
        client.will_set(topic, payload, qos=qos, retain=retain)
    return client


class MqttBus:
    """A connected MQTT 5 client with the project's settings."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        client_id: str,
        on_message: MessageHandler | None = None,
        on_connection: ConnectionHandler | None = None,
        clean_start: bool = True,
        session_expiry_s: int = 0,
        manual_ack: bool = False,
        subscriptions: tuple[tuple[str, int], ...] = (),
        will: tuple[str, bytes, int, bool] | None = None,
    ) -> None:
        self.address = address
        self._on_message = on_message
        self._on_connection = on_connection
        self._subscriptions = subscriptions
        self._clean_start = clean_start
        self._session_expiry_s = session_expiry_s
        self._connected = threading.Event()
        # Set once connect() can return: subscriptions in place, or the broker said no.
        self._settled = threading.Event()
        self._subscribe_mid: int | None = None
        self._unsubscribed = threading.Lock()
        self._unsubscribe_acks: set[int] = set()
        # Why the broker would not have us (CONNACK or SUBACK), with its reason code.
        self._refusal: BusError | None = None
        self._network_thread = True
        # Without a network thread: mids of our QoS 1 publishes the broker has not
        # acknowledged yet, kept below the Receive Maximum its CONNACK announced.
        self._awaiting_ack: set[int] = set()
        self._receive_maximum = DEFAULT_RECEIVE_MAXIMUM
        # QoS 1 publishes the broker acknowledged with a failure (an ACL denial),
        # and the last such answer with its reason code.
        self.refused_publishes = 0
        self.last_refused_publish: BusError | None = None
        client = _paho_client(address, client_id=client_id, manual_ack=manual_ack, will=will)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        client.on_unsubscribe = self._handle_unsubscribe
        client.on_publish = self._handle_publish
        self._client = client
        self._loop = PolledLoop(client, address=str(address), connected=lambda: self.connected)

    # -- lifecycle -------------------------------------------------------------

    def connect(self, timeout_s: float = CONNECT_TIMEOUT_S, *, network_thread: bool = True) -> None:
        """Connect, subscribe, and start the network thread; raise BusError on failure.

        ``network_thread=False``: no thread is started; the caller must call
        :meth:`poll` from then on, from one thread only.
        """
        self._network_thread = network_thread
        if not network_thread:
            self._client.max_inflight_messages_set(0)  # the window is ours: see MAX_INFLIGHT_OUT
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        if self._session_expiry_s:
            props.SessionExpiryInterval = self._session_expiry_s
        try:
            self._client.connect(
                self.address.host,
                self.address.port,
                keepalive=KEEPALIVE_S,
                clean_start=self._clean_start,
                properties=props,
            )
        except (OSError, ValueError) as exc:
            raise BusError(f"cannot reach the broker at {self.address}: {exc}") from exc
        if network_thread:
            self._client.loop_start()
        # Return only once our subscriptions are in place, so nothing published
        # right after connect() can slip past them; a refusal (bad password, ACL)
        # ends the wait at once instead of retrying until the timeout.
        settled = (
            self._settled.wait(timeout_s)
            if network_thread
            else self._wait_for(self._settled.is_set, timeout_s)
        )
        if not settled or self._refusal is not None:
            if network_thread:
                self._client.loop_stop()
            self._client.disconnect()
            if self._refusal is not None:
                raise self._refusal
            raise BusError(f"broker at {self.address} did not accept us: no CONNACK/SUBACK in time")

    def close(self, *, end_session: bool = False) -> None:
        """Disconnect cleanly (the last will is not sent) and stop the network thread.

        ``end_session``: set the session expiry to 0 on the way out, so the broker
        forgets this client id's session and its subscriptions (MQTT 5).
        """
        properties = None
        if end_session:
            properties = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = 0
        self._client.disconnect(properties=properties)
        if self._network_thread:
            self._client.loop_stop()

    def _wait_for(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``done()``; without a network thread, run the network meanwhile."""
        deadline = time.monotonic() + timeout_s
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._network_thread:
                time.sleep(min(remaining, WAIT_STEP_S))
            else:
                self.poll(min(remaining, WAIT_STEP_S))
        return True

    def poll(self, timeout_s: float) -> None:
        """Network I/O on the caller's thread, waiting at most ``timeout_s`` for data.

        For a bus connected with ``network_thread=False``: reads what has
        arrived (callbacks run here), sends keepalives, and after a lost
        connection reconnects with back-off, like paho's own thread would.
        """
        self._loop.poll(timeout_s)

    def readable(self) -> bool:
        """Bytes are waiting to be read (a poll would not wait)."""
        return self._loop.readable()

    @property
    def unacknowledged(self) -> int:
        """Our QoS 1 publishes the broker has not acknowledged yet (a bus without a thread)."""
        return len(self._awaiting_ack)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- I/O -------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish; paho re-sends a QoS 1 message after a reconnect until acknowledged.

        With a network thread the message is queued for it; without one it is
        written at once, after waiting (polling) for room in the broker's window.
        """
        if qos > 0 and not self._network_thread:
            self._wait_for_window()
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in KEPT_FOR_LATER:
            raise client_failed(f"publish to {topic} failed", info.rc)
        if qos > 0 and not self._network_thread:
            self._awaiting_ack.add(info.mid)

    def _wait_for_window(self) -> None:
        def room() -> bool:
            return len(self._awaiting_ack) < self._receive_maximum

        if not room() and not self._wait_for(room, WINDOW_WAIT_S):
            # Paho keeps the message and sends it once connected: late, never lost.
            log.warning(
                "broker %s acknowledged none of %d publishes for %.0f s",
                self.address,
                len(self._awaiting_ack),
                WINDOW_WAIT_S,
            )

    def ack(self, mid: int, qos: int = 1) -> None:
        """Acknowledge a message received with ``manual_ack``."""
        self._client.ack(mid, qos)

    def unsubscribe(self, topic_filter: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        """Drop a subscription and wait for the broker's UNSUBACK (BusError if none comes)."""
        self._subscriptions = tuple(s for s in self._subscriptions if s[0] != topic_filter)
        rc, mid = self._client.unsubscribe(topic_filter)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise client_failed(f"unsubscribe from {topic_filter} failed", rc)
        if not self._wait_for(lambda: mid in self._unsubscribe_acks, timeout_s):
            raise BusError(f"no UNSUBACK from {self.address} for {topic_filter}")
        with self._unsubscribed:
            self._unsubscribe_acks.discard(mid)

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        self._subscriptions = (*self._subscriptions, (topic_filter, qos))
        if self.connected:
            self._client.subscribe(topic_filter, qos=qos)

    # -- paho callbacks (network thread) -----------------------------------------

    def _handle_connect(
        self,
        client: paho.Client,
        _userdata: Any,
        _flags: Any,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        if reason.is_failure:
            self._refusal = refused(f"broker at {self.address} did not accept us", reason)
            log.error("broker %s refused the connection: %s", self.address, reason)
            self._settled.set()
            return
        if props is not None and hasattr(props, "ReceiveMaximum"):
            self._receive_maximum = int(props.ReceiveMaximum)
        if self._subscriptions:
            _rc, self._subscribe_mid = client.subscribe(list(self._subscriptions))
        else:
            self._settled.set()
        self._connected.set()
        log.info("connected to %s", self.address)
        if self._on_connection is not None:
            self._on_connection(True)

    def _handle_subscribe(
        self,
        _client: paho.Client,
        _userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        _props: Properties | None,
    ) -> None:
        if mid != self._subscribe_mid:
            return
        refusal = first_refusal(
            f"broker at {self.address} did not accept us: subscription refused", reasons
        )
        if refusal is not None:
            log.error("%s", refusal)
            self._refusal = refusal
        self._settled.set()

    def _handle_unsubscribe(
        self,
        _client: paho.Client,
        _userdata: Any,
        mid: int,
        _reasons: list[ReasonCode],
        _props: Properties | None,
    ) -> None:
        with self._unsubscribed:
            self._unsubscribe_acks.add(mid)

    def _handle_publish(
        self,
        _client: paho.Client,
        _userdata: Any,
        mid: int,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        self._awaiting_ack.discard(mid)
        if reason.is_failure:
            # Mosquitto answers a publish its ACL denies with PUBACK "Not authorized"
            # and drops it: say so, or a misconfigured gate looks merely unanswered.
            self.refused_publishes += 1
            self.last_refused_publish = refused(f"broker {self.address} refused publish", reason)
            log.error("broker %s refused publish mid %d: %s", self.address, mid, reason)

    def _handle_disconnect(
        self,
        _client: paho.Client,
        _userdata: Any,
        _flags: Any,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected:
            level = logging.INFO if reason.value == 0 else logging.WARNING
            log.log(level, "disconnected from %s: %s", self.address, reason)
            if self._on_connection is not None:
                self._on_connection(False)

    def _handle_message(self, _client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        if self._on_message is None:
            return
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = "<invalid utf-8 topic>"
        inbound = InboundMessage(
            topic=topic, payload=bytes(msg.payload), qos=msg.qos, retain=msg.retain, mid=msg.mid
        )
        try:
            self._on_message(inbound)
        except Exception:
            # A bad message must never kill dispatch: log it with its topic.
            log.exception("handler failed for a message on %s (%d bytes)", topic, len(msg.payload))
