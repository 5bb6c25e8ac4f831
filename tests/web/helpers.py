"""Passages, statuses and listeners for the web tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from kernel.bus.mqtt import MqttBus
from schemas.messages import (
    DeviceHealth,
    GateStatus,
    SnapshotInfo,
)
from schemas.topics import GateChannel, gate_topic

T = TypeVar("T")


def gate_status(
    site: str, gate: str, *, online: bool = True, thermometer: str = "ok"
) -> GateStatus:
    now = datetime.now(UTC)
    return GateStatus(
        site=site,
        gate=gate,
        online=online,
        ts=now,
        mode="online" if online else "offline",
        devices={
            "thermometer": DeviceHealth(state=thermometer, detail="LU90614 /dev/ttyUSB0"),  # type: ignore[arg-type]
            "camera": DeviceHealth(state="ok"),
            "relay": DeviceHealth(state="ok"),
        },
        snapshot=SnapshotInfo(version=7, checksum="9f2c1e0b7a6d5c4b3a29", taken_at=now),
        outbox=0,
    )


def publish_status(bus: MqttBus, status: GateStatus) -> None:
    topic = gate_topic(status.site, status.gate, GateChannel.STATUS)
    bus.publish(topic, status.model_dump_json().encode(), qos=1, retain=True)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: Playwright's sync API keeps a loop running
    on the main thread once a browser test has started."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(coroutine))
        except BaseException as exc:  # handed to the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]
