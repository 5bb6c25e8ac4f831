"""paho's answers as :class:`kernel.errors.BusError`: the MQTT reason code travels, not only text.

A refusal by the broker comes as a paho ``ReasonCode`` (CONNACK, SUBACK, PUBACK;
0x80 and above), a failure inside the client as paho's ``MQTTErrorCode``; both
become a ``BusError`` whose ``reason_code`` and ``reason_name`` a caller can test
(``reason_code == NOT_AUTHORIZED``) without reading the message.
"""

from __future__ import annotations

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from kernel.errors import BusError

# The MQTT 5 reason code of a refusal by credentials or ACL (CONNACK, SUBACK, PUBACK).
NOT_AUTHORIZED = 0x87

# Publish results that still deliver a QoS 1 message: paho keeps it and sends it
# after the reconnect (without a network thread, a write that finds the connection
# just lost says CONN_LOST where a queued one would say NO_CONN).
KEPT_FOR_LATER = (
    MQTTErrorCode.MQTT_ERR_SUCCESS,
    MQTTErrorCode.MQTT_ERR_NO_CONN,
    MQTTErrorCode.MQTT_ERR_CONN_LOST,
)


def refused(what: str, reason: ReasonCode) -> BusError:
    """The broker said no: ``what`` (``"broker at ... did not accept us"``) and its reason."""
    return BusError(f"{what}: {reason}", reason_code=reason.value, reason_name=str(reason))


def first_refusal(what: str, reasons: list[ReasonCode]) -> BusError | None:
    """A SUBACK's refusals as one error carrying the first one's code; None if all granted."""
    failures = [r for r in reasons if r.is_failure]
    if not failures:
        return None
    names = ", ".join(str(r) for r in failures)
    return BusError(f"{what}: {names}", reason_code=failures[0].value, reason_name=str(failures[0]))


def client_failed(what: str, rc: MQTTErrorCode) -> BusError:
    """paho failed before the broker answered (no connection, queue full, ...)."""
    return BusError(
        f"{what}: {paho.error_string(rc)}", reason_code=int(rc.value), reason_name=rc.name
    )
