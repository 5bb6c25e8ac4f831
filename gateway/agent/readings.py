"""The lane's side of the thermometer: counts, screening health, telemetry, body readings.

Every raw reading is counted, watched for the ambient operating range, and sent as
telemetry (QoS 0, at most every ``READING_INTERVAL_S`` per kind); the body
temperature in it, if any (a surface reading only through the configured offset),
is what the pairer may use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from devices.thermometer.frames import Fault
from devices.thermometer.frames import Reading as RawReading
from devices.thermometer.screening import BodyConverter, ScreeningHealth, body_reading
from gateway.agent.config import LaneConfig
from gateway.agent.uplink import Uplink
from kernel.clock import Monotonic
from kernel.errors import BusError
from schemas.messages import Reading

log = logging.getLogger(__name__)

READING_INTERVAL_S = 0.2
"""Raw telemetry is published at most this often per reading kind (QoS 0)."""


@dataclass(slots=True)
class ThermometerCounters:
    """Per-thermometer counts reported in the status (issue 4)."""

    readings: int = 0
    faults: int = 0
    fevers: int = 0
    empty_scene: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "readings": self.readings,
            "faults": self.faults,
            "fevers": self.fevers,
            "empty_scene": self.empty_scene,
        }


class ThermometerFeed:
    def __init__(self, config: LaneConfig, *, uplink: Uplink, monotonic: Monotonic) -> None:
        self.config = config
        self.uplink = uplink
        self.monotonic = monotonic
        self.counts = ThermometerCounters()
        self.screening = ScreeningHealth()
        self.ambient: Decimal | None = None
        self.converter = (
            BodyConverter(config.surface_offset) if config.surface_offset is not None else None
        )
        self._last_sent: dict[str, float] = {}
        # Surface readings seen while no offset is configured: none of them was screened.
        self.unscreened_surface = 0

    def reading(self, reading: RawReading) -> RawReading | None:
        """Take a raw reading; returns the body reading in it, for pairing, if any."""
        self.counts.readings += 1
        self.screening.observe(reading)
        if reading.kind == "ambient":
            self.ambient = reading.celsius
        elif reading.kind == "surface" and self.converter is None:
            self.unscreened_surface += 1
        self._publish(reading)
        return body_reading(reading, self.converter)

    def unconfigured(self) -> str | None:
        """Said once surface readings arrive with no offset to turn them into body ones."""
        if self.unscreened_surface == 0:
            return None
        return (
            "unconfigured: the module sends skin (surface) readings; set offset= in the "
            "thermometer URL (the skin->body offset in C, e.g. &offset=2.5) or nobody is screened"
        )

    def fault(self, fault: Fault) -> None:
        self.counts.faults += 1
        log.debug("gate %s: thermometer fault %s", self.config.gate, fault.detail)

    def _publish(self, reading: RawReading) -> None:
        now = self.monotonic()
        if now - self._last_sent.get(reading.kind, float("-inf")) < READING_INTERVAL_S:
            return
        self._last_sent[reading.kind] = now
        message = Reading(
            site=self.config.site,
            gate=self.config.gate,
            sensor=reading.sensor,
            kind=reading.kind,
            celsius=reading.celsius,
            ts=reading.at,
        )
        try:
            self.uplink.publish_reading(message)
        except BusError as exc:  # telemetry is best effort (QoS 0)
            log.debug("gate %s: reading not published: %s", self.config.gate, exc)
