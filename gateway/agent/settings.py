"""Settings of a gate agent: a TOML file, then ``CAMPUSGATE_*`` variables, then the command line.

Device settings are URLs so one line says what is plugged in (issue 4)::

    thermometer = "serial:///dev/ttyUSB0?protocol=gy-mcu90614&offset=2.5"
    camera = "0"                       # device index, video file, rtsp:// URL, image folder
    scanner = "serial:///dev/ttyACM0"  # or "stdin" for a keyboard-wedge scanner
    relay = "serial:///dev/ttyUSB1?relay=1"

``"none"`` leaves a device out (a gate with a guard only has no relay).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from devices.code_reader.contract import SCAN_COOLDOWN_S
from devices.relay.turnstile import MAX_PULSE_S, PULSE_S
from gateway.agent.config import DECISION_TIMEOUT_S, STATUS_INTERVAL_S, LaneConfig
from gateway.kiosk.bind import parse_bind
from gateway.outbox.uplink import FORWARD_RATE_PER_S
from gateway.pairing.pairer import DEFAULT_PRESENCE_MIN_C, DEFAULT_WINDOW_S
from kernel.errors import ConfigError
from kernel.plain_ids import PlainIdHash, key_from_text, plain_id_hasher
from schemas.names import GateName, SiteName

DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"


class MqttSettings(BaseModel):
    url: str = DEFAULT_BROKER_URL


class GateSettings(BaseSettings):
    """Env: ``CAMPUSGATE_SITE``, ``CAMPUSGATE_GATE``, ``CAMPUSGATE_MQTT__URL``, ..."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPUSGATE_", env_nested_delimiter="__", extra="forbid"
    )

    site: SiteName = "main"
    gate: GateName
    direction: Literal["in", "out"] = "in"
    lane: Literal["person", "vehicle"] = "person"
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    thermometer: str = "none"
    camera: str = "none"
    scanner: str = "none"
    relay: str = "none"
    decoder: Literal["zxing", "pyzbar"] = "zxing"
    # An image folder or video file as the camera (tests, replays): pace and loop it.
    camera_fps: Annotated[float, Field(gt=0, le=120)] | None = None
    camera_loop: bool = False
    pulse_s: Annotated[float, Field(gt=0, le=MAX_PULSE_S)] = PULSE_S
    pairing_window_s: Annotated[float, Field(gt=0, le=60)] = DEFAULT_WINDOW_S
    gather_s: Annotated[float, Field(ge=0, le=10)] = 0.0
    decision_timeout_s: Annotated[float, Field(gt=0, le=60)] = DECISION_TIMEOUT_S
    presence_min_c: Annotated[Decimal, Field(ge=20, le=36)] = DEFAULT_PRESENCE_MIN_C
    status_interval_s: Annotated[float, Field(ge=1, le=3600)] = STATUS_INTERVAL_S
    scan_cooldown_s: Annotated[float, Field(ge=0, le=60)] = SCAN_COOLDOWN_S
    # Every passage is kept here until answered (DESIGN section 6).
    outbox_path: Path = Path("var/gate-outbox.db")
    outbox_max_mb: Annotated[float, Field(gt=0, le=100_000)] | None = None
    forward_rate: Annotated[float, Field(gt=0, le=1000)] = FORWARD_RATE_PER_S
    # The whitelist snapshot for offline decisions, and how old it may get offline.
    snapshot_path: Path = Path("var/gate-snapshot.bin")
    max_offline_age_h: Annotated[float, Field(gt=0, le=24 * 30)] = 12.0
    # The site's public keys (``<kid>.pub``, ``campusgate keys export``): a snapshot must be
    # signed by one of them, or by a key the snapshot held carries.  None: every one refused.
    site_keys_dir: Path | None = None
    # The gate's own kiosk (issue 20): HOST:PORT, or PORT on 127.0.0.1; None: no kiosk.
    kiosk: str | None = None

    @field_validator("kiosk")
    @classmethod
    def _kiosk_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_bind(value)  # ConfigError: it names the expected form
        return value

    # The site's ID hash key (``CAMPUSGATE_ID_HASH_KEY``, the central's): with it an ID-card
    # number read or typed here finds its person offline, through the hashes the snapshot
    # carries.  Without it, offline, only person ids and campus card numbers do.
    id_hash_key: SecretStr | None = None

    def plain_id_hash(self) -> PlainIdHash | None:
        if self.id_hash_key is None:
            return None
        try:
            return plain_id_hasher(key_from_text(self.id_hash_key.get_secret_value()))
        except ValueError as exc:
            raise ConfigError(f"id_hash_key: {exc}") from exc

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Command line beats environment beats the TOML file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def lane_config(self, surface_offset: Decimal | None) -> LaneConfig:
        if self.gather_s >= self.pairing_window_s:
            raise ConfigError("gather_s must be shorter than pairing_window_s")
        return LaneConfig(
            site=self.site,
            gate=self.gate,
            direction=self.direction,
            lane=self.lane,
            decision_timeout_s=self.decision_timeout_s,
            pulse_s=self.pulse_s,
            pairing_window_s=self.pairing_window_s,
            gather_s=self.gather_s,
            presence_min=self.presence_min_c,
            surface_offset=surface_offset,
            status_interval_s=self.status_interval_s,
            handheld_when_absent=True,
        )


def load_gate_settings(config: Path | None = None, **overrides: Any) -> GateSettings:
    """Settings from ``config`` (TOML) with the environment and ``overrides`` on top."""
    if config is not None and not config.is_file():
        raise ConfigError(f"gate configuration file not found: {config}")

    class FromFile(GateSettings):
        model_config = SettingsConfigDict(toml_file=config)

    try:
        return FromFile(**overrides) if config is not None else GateSettings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"gate settings: {problems}") from exc
