"""paho's network I/O on its owner's thread: the loop of a bus without a network thread.

The central worker polls its bus from its own loop, so a passage goes from socket
to decision to socket on one thread, with no hand-off to wait for (each one cost
a thread wake-up and a wait for the interpreter lock, about a tenth of a
millisecond).  :class:`PolledLoop` does what paho's thread would: select, read,
write, keepalive, and after a lost connection a reconnect with back-off.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10


class PolledLoop:
    """One paho client's I/O, run by whoever calls :meth:`poll` (one thread only)."""

    def __init__(self, client: paho.Client, *, address: str, connected: Callable[[], bool]) -> None:
        self._client = client
        self._address = address
        self._connected = connected
        self._reconnect_at = 0.0
        self._reconnect_delay_s: float = RECONNECT_MIN_S

    def poll(self, timeout_s: float) -> None:
        """Read what has arrived (paho's callbacks run here), write, keep alive, reconnect."""
        if self._client.socket() is None:
            now = time.monotonic()
            if now < self._reconnect_at:
                time.sleep(min(timeout_s, self._reconnect_at - now))
                return
            try:
                self._client.reconnect()
            except OSError as exc:
                log.warning("cannot reach the broker at %s: %s", self._address, exc)
                self._reconnect_at = time.monotonic() + self._reconnect_delay_s
                self._reconnect_delay_s = min(self._reconnect_delay_s * 2, RECONNECT_MAX_S)
                return
        rc = self._io(timeout_s)
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            if self._connected():
                self._reconnect_delay_s = RECONNECT_MIN_S
        elif self._client.socket() is None:
            # Lost (callbacks have said so): the next poll reconnects after a pause.
            self._reconnect_at = time.monotonic() + self._reconnect_delay_s

    def _io(self, timeout_s: float) -> MQTTErrorCode:
        """One round of paho's external-loop calls: select, read, write, keepalive.

        Not paho's loop(): that one makes a socket pair to be woken through, and
        then every publish writes a byte to it and the next select wakes for it.
        Here a publish has already written its packet.
        """
        sock = self._client.socket()
        if sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        wanted = [sock] if self._client.want_write() else []
        if self.readable():
            readable, writable = True, bool(wanted)
        else:
            ready = select.select([sock], wanted, [], timeout_s)
            readable, writable = bool(ready[0]), bool(ready[1])
        rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        if readable:
            rc = self._client.loop_read()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and writable and self._client.socket() is not None:
            rc = self._client.loop_write()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._client.socket() is not None:
            rc = self._client.loop_misc()  # keepalive: PINGREQ, or a dead link noticed
        return rc

    def readable(self) -> bool:
        """Bytes are waiting to be read (a poll would not wait)."""
        sock = self._client.socket()
        if sock is None:
            return False
        pending = getattr(sock, "pending", None)
        if pending is not None and pending() > 0:  # TLS: already decrypted, not in the socket
            return True
        ready, _, _ = select.select([sock], [], [], 0)
        return bool(ready)
