"""Settings of the web service: env vars ``CAMPUSGATE_*``, nested with ``__``.

``CAMPUSGATE_WEB__SESSION_SECRET`` keys session-token hashes and the login form's
CSRF token; the built-in default is refused unless ``CAMPUSGATE_WEB__DEMO=true``.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.names import GateName, SiteName
from services.central.settings import DbSettings, MqttSettings
from services.web.notify.config import ChatSettings, SmsSettings

DEMO_SESSION_SECRET = "campusgate-demo-session-secret-not-for-production"  # noqa: S105
MIN_SECRET_CHARS = 32


class VisitorSettings(BaseModel):
    """Bounds of visitors' own requests and walk-ins (``CAMPUSGATE_WEB__VISITORS__...``)."""

    max_window_h: Annotated[int, Field(ge=1, le=72)] = 12  # longest visit one request asks
    max_ahead_days: Annotated[int, Field(ge=1, le=90)] = 14  # how far ahead it may start
    # The public page's limits: requests from one address per window (good or bad), and
    # accepted requests per phone number per day.
    per_address: Annotated[int, Field(ge=1, le=100_000)] = 20
    address_window_s: Annotated[int, Field(ge=10, le=24 * 3600)] = 600
    per_phone: Annotated[int, Field(ge=1, le=100)] = 3
    # A walk-in nobody of the host unit answered within this is refused (and logged).
    walkin_answer_s: Annotated[int, Field(ge=10, le=24 * 3600)] = 600


class WebServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    session_secret: SecretStr = SecretStr(DEMO_SESSION_SECRET)
    demo: bool = False
    # Cookies are Secure whenever the request came by HTTPS (directly, or from a trusted
    # proxy that says so); set this to make them Secure always.
    cookie_secure: bool = False
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
    # are believed.  None by default, the demo included: otherwise anyone could name
    # their own address and escape the per-address login limit.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list, max_length=100)
    session_ttl_s: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 12 * 3600
    # Login rate limiting: failures counted over this window ...
    login_window_s: Annotated[int, Field(ge=1, le=24 * 3600)] = 15 * 60
    # ... at most this many per user name (since its last success) and per address.
    login_max_failures_user: Annotated[int, Field(ge=1, le=1000)] = 5
    login_max_failures_remote: Annotated[int, Field(ge=1, le=10000)] = 30
    # A password check takes 64 MiB (argon2id) for ~0.1 s: at most this many at once; the
    # next sign-in is answered 429 at once, never queued ...
    login_hash_slots: Annotated[int, Field(ge=1, le=32)] = 2
    # ... plus this many kept for users signing in again from a device they used before.
    login_device_hash_slots: Annotated[int, Field(ge=1, le=8)] = 1
    # An alert nobody acknowledges within this delay escalates to the security office.
    escalation_delay_s: Annotated[float, Field(ge=1, le=24 * 3600)] = 300.0
    escalation_tick_s: Annotated[float, Field(gt=0, le=600)] = 5.0
    # The daily check-in (晨午检): a slot's missing reports are late after its deadline.
    checkin_morning_deadline: time = time(10, 0)
    checkin_noon_deadline: time = time(14, 30)
    # Send the missing check-ins to the clinic and each unit's officers once a slot's
    # deadline has passed (services/web/checkins/reminders.py); off: only when asked.
    checkin_auto_remind: bool = False
    # Per-browser bound of queued live events; past it the browser is told to reload.
    live_queue_max: Annotated[int, Field(ge=10, le=100_000)] = 2000
    timezone: str = "Asia/Shanghai"
    # Gates shown even before their agent announces itself.
    gates: list[GateName] = Field(default_factory=list, max_length=1000)
    # The code-signing keys (the central service's ``keys_dir``): approving an
    # appointment issues a signed visitor code.  The ID-number hash key comes from
    # the same environment variable the CLI reads (the demo key only in demo mode).
    keys_dir: Path = Path("var/keys")
    # The my-code page re-signs a person's code this often (its codes live 90 s).
    mycode_refresh_s: Annotated[float, Field(ge=1, le=60)] = 30.0
    visitors: VisitorSettings = Field(default_factory=VisitorSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _secret_is_not_the_demo_one(self) -> WebServerSettings:
        secret = self.session_secret.get_secret_value()
        if not self.demo and secret == DEMO_SESSION_SECRET:
            raise ValueError(
                "set CAMPUSGATE_WEB__SESSION_SECRET: the built-in session secret is for the demo"
            )
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"the session secret must be at least {MIN_SECRET_CHARS} characters")
        return self


class WebhookSettings(BaseModel):
    url: str | None = None
    secret: SecretStr | None = None
    attempts: Annotated[int, Field(ge=1, le=20)] = 5
    backoff_s: Annotated[float, Field(ge=0, le=60)] = 0.5
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @model_validator(mode="after")
    def _secret_with_url(self) -> WebhookSettings:
        if self.url is not None:
            if not self.url.startswith(("http://", "https://")):
                raise ValueError("the webhook URL must be http:// or https://")
            if self.secret is None or len(self.secret.get_secret_value()) < 16:
                raise ValueError("a webhook needs a signing secret of at least 16 characters")
        return self


class SmtpSettings(BaseModel):
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "campusgate@localhost"
    clinic_to: list[str] = Field(default_factory=list)
    security_to: list[str] = Field(default_factory=list)
    attempts: Annotated[int, Field(ge=1, le=20)] = 3
    backoff_s: Annotated[float, Field(ge=0, le=60)] = 1.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0


class NotifySettings(BaseModel):
    """Where notices go: the signed webhook, e-mail, chat-group bots, SMS (notify/config.py)."""

    # A bad URL or secret must not be echoed in the error that stops the service.
    model_config = ConfigDict(hide_input_in_errors=True)

    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    # WeCom, DingTalk and Feishu group bots: here as JSON, or in a TOML file (0600).
    channels: list[ChatSettings] = Field(default_factory=list, max_length=100)
    channels_file: Path | None = None
    sms: SmsSettings = Field(default_factory=SmsSettings)


class WebSettings(BaseSettings):
    """``CAMPUSGATE_SITE``, ``CAMPUSGATE_DB__URL``, ``CAMPUSGATE_WEB__PORT``, ..."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPUSGATE_", env_nested_delimiter="__", hide_input_in_errors=True
    )

    site: SiteName = "main"
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    web: WebServerSettings = Field(default_factory=WebServerSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)


@lru_cache(maxsize=1)
def web_settings() -> WebSettings:
    return WebSettings()
