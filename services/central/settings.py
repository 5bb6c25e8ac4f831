"""Settings of the central service: env vars ``CAMPUSGATE_*`` (nested with ``__``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.bus.mqtt import RECEIVE_MAXIMUM
from schemas.names import SiteName

DEFAULT_DB_URL = "sqlite:///var/campusgate.db"
DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"
WORKER_ID_PATTERN = r"^[a-z0-9-]{1,16}$"
AUTO_WORKER_ID = "auto"


class MqttSettings(BaseModel):
    url: str = DEFAULT_BROKER_URL


class DbSettings(BaseModel):
    url: str = DEFAULT_DB_URL


class CentralSettings(BaseSettings):
    """``CAMPUSGATE_SITE``, ``CAMPUSGATE_MQTT__URL``, ``CAMPUSGATE_DB__URL``, ..."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSGATE_", env_nested_delimiter="__")

    site: SiteName = "main"
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    keys_dir: Path = Path("var/keys")
    worker_id: Annotated[str, Field(pattern=WORKER_ID_PATTERN)] = "1"
    # Group commit: at most this many passages per transaction ...
    batch_max: Annotated[int, Field(ge=1, le=RECEIVE_MAXIMUM)] = 500
    # ... and waits this long for company once it has one message. 0: under load the
    # queue fills while the previous batch commits, so batches form by themselves.
    batch_wait_ms: Annotated[float, Field(ge=0, le=1000)] = 0.0
    policy_file: Path | None = None
    # The hash chain over the entry log is sealed this often, between batches.
    seal_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    # A new policy version in the database is picked up within this time.
    policy_refresh_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    # The key of the roster's ID-number hashes (``CAMPUSGATE_ID_HASH_KEY``, the one the
    # roster was imported with): with it, and the policy's ``accept_plain_ids``, an ID-card
    # number read or typed at a lane finds its person.  Without it only person ids and
    # campus card numbers do.  The demo's public key is refused unless ``demo_id_key``.
    id_hash_key: SecretStr | None = None
    demo_id_key: bool = False


@lru_cache(maxsize=1)
def central_settings() -> CentralSettings:
    return CentralSettings()
