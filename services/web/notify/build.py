"""The chat-group and SMS channels the settings describe, ready for the notifier."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx

from services.web.notify.cards import CardMaker
from services.web.notify.channels import Channel
from services.web.notify.chat import Bot, ChatChannel
from services.web.notify.config import ChatSettings, SmsSettings, read_channels_file, unique_names
from services.web.notify.limits import Limits, SlidingWindow
from services.web.notify.service import RetryPolicy
from services.web.notify.sms import HttpSmsGateway, SmsChannel
from services.web.settings import NotifySettings

MINUTE_S = 60.0
FEISHU_PER_SECOND = 5  # Feishu's custom bots: 5 a second besides 100 a minute


def chat_settings(notify: NotifySettings) -> list[ChatSettings]:
    """The bots of the environment and of the channels file, names checked unique."""
    listed = list(notify.channels)
    if notify.channels_file is not None:
        listed += read_channels_file(notify.channels_file)
    return unique_names(listed)


def chat_channel(
    bot: ChatSettings,
    zone: ZoneInfo,
    clock_unix: Callable[[], float],
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[ChatChannel, RetryPolicy]:
    per_minute = SlidingWindow(bot.limit_per_minute, MINUTE_S)
    limiter: SlidingWindow | Limits = per_minute
    if bot.kind == "feishu":
        limiter = Limits(SlidingWindow(FEISHU_PER_SECOND, 1.0), per_minute)
    channel = ChatChannel(
        Bot(
            name=bot.name,
            vendor=bot.kind,
            url=bot.url.get_secret_value(),
            audiences=frozenset(bot.audiences),
            kinds=frozenset(bot.kinds),
            fmt=bot.format,
            secret=bot.secret.get_secret_value() if bot.secret else None,
            brand=bot.brand,
            units=None if bot.units is None else frozenset(bot.units),
        ),
        CardMaker(bot.lang, zone),
        limiter=limiter,
        timeout_s=bot.timeout_s,
        clock_unix=clock_unix,
        transport=transport,
    )
    return channel, RetryPolicy(bot.attempts, bot.backoff_s)


def sms_channel(sms: SmsSettings, zone: ZoneInfo) -> tuple[Channel, RetryPolicy] | None:
    if sms.url is None or sms.token is None:
        return None
    gateway = HttpSmsGateway(sms.url, sms.token.get_secret_value(), timeout_s=sms.timeout_s)
    channel = SmsChannel(gateway, CardMaker(sms.lang, zone), sms.recipients(),
                         limiter=SlidingWindow(sms.per_minute, MINUTE_S),
                         kinds=frozenset(sms.kinds))  # fmt: skip
    return channel, RetryPolicy(sms.attempts, sms.backoff_s)


def extra_channels(
    notify: NotifySettings, zone: ZoneInfo, clock_unix: Callable[[], float]
) -> list[tuple[Channel, RetryPolicy]]:
    """Every configured bot, then the SMS gateway if there is one."""
    channels: list[tuple[Channel, RetryPolicy]] = [
        chat_channel(bot, zone, clock_unix) for bot in chat_settings(notify)
    ]
    sms = sms_channel(notify.sms, zone)
    if sms is not None:
        channels.append(sms)
    return channels
