"""Settings of the chat-group and SMS channels (``CAMPUSGATE_NOTIFY__...``), and their file.

An operator lists the group bots either as JSON in ``CAMPUSGATE_NOTIFY__CHANNELS`` or,
more readably, as ``[[channels]]`` tables in a TOML file named by
``CAMPUSGATE_NOTIFY__CHANNELS_FILE`` (mode 0600: it holds the bots' keys):

    [[channels]]
    name = "clinic-wecom"
    kind = "wecom"                    # wecom | dingtalk | feishu
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
    audiences = ["clinic"]            # clinic | security | approvers

URLs and signing secrets are ``SecretStr``: never in a repr, a log line or an error;
dead letters show the URL redacted.  docs/operations.md, "Alerts in WeCom, DingTalk,
Feishu and by SMS", is the operator's walk-through.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator

from kernel.errors import ConfigError
from services.web.notify.cards import CARD_KINDS
from services.web.notify.formats import FORMATS, Format, Vendor

log = logging.getLogger(__name__)

Audience = Literal["clinic", "security", "approvers"]  # never "visitor": a code is personal
ChannelName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
PHONE = re.compile(r"^\+?[0-9]{6,15}$")
# Each vendor's documented send limit per bot: WeCom and DingTalk 20 a minute, Feishu
# 100 a minute (and 5 a second: the window below is the minute's).
PER_MINUTE: dict[Vendor, int] = {"wecom": 20, "dingtalk": 20, "feishu": 100}
MAX_FILE_BYTES = 1_000_000


class ChatSettings(BaseModel):
    """One group bot."""

    name: ChannelName
    kind: Vendor
    url: SecretStr
    secret: SecretStr | None = None  # DingTalk 加签 (SEC...), Feishu 签名校验
    audiences: Annotated[list[Audience], Field(min_length=1, max_length=3)]
    kinds: list[str] = Field(default_factory=lambda: sorted(CARD_KINDS), max_length=50)
    format: Format | None = None  # wecom/dingtalk: markdown | text; feishu: post | text
    lang: Literal["zh-CN", "en"] = "zh-CN"
    brand: Annotated[str, Field(max_length=20)] = ""  # 【...】 before every title
    # Only the notices about these host units (walk-ins): one approvers' group per unit.
    units: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=500
    )
    per_minute: Annotated[int, Field(ge=1, le=600)] | None = None
    attempts: Annotated[int, Field(ge=1, le=20)] = 5
    backoff_s: Annotated[float, Field(ge=0, le=60)] = 2.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("a bot's webhook URL must be https:// (or http:// to a local relay)")
        return value

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - CARD_KINDS)
        if unknown:
            raise ValueError(f"unknown notice kinds {unknown}: one of {sorted(CARD_KINDS)}")
        return value

    @model_validator(mode="after")
    def _format_of_vendor(self) -> ChatSettings:
        if self.format is not None and self.format not in FORMATS[self.kind]:
            raise ValueError(f"{self.kind} takes {' or '.join(FORMATS[self.kind])} messages")
        if self.secret is not None and self.kind == "wecom":
            raise ValueError("WeCom group bots have no signing secret: leave it out")
        return self

    @property
    def limit_per_minute(self) -> int:
        return self.per_minute or PER_MINUTE[self.kind]


class SmsSettings(BaseModel):
    """The SMS gateway (our HTTP protocol, services/web/notify/sms.py) and the numbers."""

    url: str | None = None
    token: SecretStr | None = None
    clinic_to: list[str] = Field(default_factory=list, max_length=50)
    security_to: list[str] = Field(default_factory=list, max_length=50)
    approvers_to: list[str] = Field(default_factory=list, max_length=50)
    kinds: list[str] = Field(default_factory=lambda: ["fever_alert", "escalation", "lockdown"])
    lang: Literal["zh-CN", "en"] = "zh-CN"
    per_minute: Annotated[int, Field(ge=1, le=600)] = 30
    attempts: Annotated[int, Field(ge=1, le=20)] = 3
    backoff_s: Annotated[float, Field(ge=0, le=60)] = 2.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("clinic_to", "security_to", "approvers_to")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        bad = [n for n in value if not PHONE.match(n)]
        if bad:
            raise ValueError(f"{len(bad)} phone number(s) are not +digits (6 to 15 digits)")
        return value

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        return ChatSettings._known_kinds(value)

    @model_validator(mode="after")
    def _token_with_url(self) -> SmsSettings:
        if self.url is not None:
            if not self.url.startswith(("https://", "http://")):
                raise ValueError("the SMS gateway URL must be http:// or https://")
            if self.token is None or len(self.token.get_secret_value()) < 16:
                raise ValueError("the SMS gateway needs a token of at least 16 characters")
        return self

    def recipients(self) -> dict[str, list[str]]:
        return {"clinic": self.clinic_to, "security": self.security_to,
                "approvers": self.approvers_to}  # fmt: skip


class _ChannelsFile(BaseModel):
    channels: list[ChatSettings] = Field(default_factory=list, max_length=100)


def read_channels_file(path: Path) -> list[ChatSettings]:
    """The ``[[channels]]`` of a TOML file; a bad file is a :class:`ConfigError` naming
    the field, never echoing a value (a URL or a secret)."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            log.warning("%s is readable by others (mode %o): it holds the bots' keys; "
                        "chmod 600 it", path, mode & 0o777)  # fmt: skip
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise ConfigError(f"notification channels file {path}: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"notification channels file {path}: larger than 1 MB")
    try:
        data = tomllib.loads(raw.decode())
        return _ChannelsFile.model_validate(data).channels
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"notification channels file {path}: not TOML ({exc})") from None
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"notification channels file {path}: {where}") from None


def unique_names(channels: list[ChatSettings]) -> list[ChatSettings]:
    names = [c.name for c in channels]
    twice = sorted({n for n in names if names.count(n) > 1} | ({"webhook", "email", "sms"}
                                                               & set(names)))  # fmt: skip
    if twice:
        raise ConfigError(f"notification channel names must be unique and not built in: {twice}")
    return channels
