"""``campusgate notify``: the chat-group and SMS channels: list them, send each a test.

Read from the web service's settings (``CAMPUSGATE_NOTIFY__CHANNELS``, the channels
file, ``CAMPUSGATE_NOTIFY__SMS__*``): what an operator runs after setting up a bot
(docs/operations.md, "告警推送").  A test message goes straight to the channel (no
retry, no dead letter) and the vendor's answer is printed, URLs redacted.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.web.notify.channels import Channel, Notice


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("notify", help="chat-group and SMS channels: list, test")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the configured channels (URLs redacted)")
    listing.set_defaults(handler=run_list)
    test = actions.add_parser("test", help="send each channel (or one) a test message")
    test.add_argument("--channel", help="only the channel of this name")
    test.set_defaults(handler=run_test)


def _channels() -> list[Channel]:
    from pydantic import ValidationError

    from kernel.clock import SystemClock
    from kernel.errors import ConfigError
    from kernel.localtime import site_zone
    from services.web.notify.build import extra_channels
    from services.web.settings import WebSettings

    try:
        settings = WebSettings()
    except ValidationError as exc:
        raise ConfigError(f"web settings: {exc}") from exc
    zone = site_zone(settings.web.timezone)
    clock = SystemClock()
    made = extra_channels(settings.notify, zone, lambda: clock.now().timestamp())
    return [channel for channel, _policy in made]


def _test_notice(name: str, audience: str) -> Notice:
    import uuid
    from datetime import UTC, datetime

    from services.web.notify.channels import Notice

    return Notice(notice_id=f"test-{uuid.uuid4().hex[:12]}", kind="test", audience=audience,
                  subject="[campusgate] 测试消息 Test message", text="测试消息 Test message",
                  data={"type": "test", "channel": name,
                        "at": datetime.now(UTC).isoformat()})  # fmt: skip


def run_list(args: argparse.Namespace) -> int:
    from services.web.notify.chat import ChatChannel
    from services.web.notify.sms import SmsChannel

    channels = _channels()
    if not channels:
        print("no chat-group or SMS channel is configured")
    for channel in channels:
        if isinstance(channel, ChatChannel):
            bot = channel.bot
            print(f"{bot.name}\t{bot.vendor}/{channel.fmt}\t{','.join(sorted(bot.audiences))}\t"
                  f"{'signed' if bot.secret else 'unsigned'}\t{channel.shown_url}")  # fmt: skip
        elif isinstance(channel, SmsChannel):
            for audience in sorted(channel.recipients):
                print(f"sms\t{audience}\t{channel.shown(audience)}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    import asyncio

    from services.web.notify.channels import DeliveryError
    from services.web.notify.sms import SmsChannel

    channels = [c for c in _channels() if args.channel in (None, c.name)]
    if not channels:
        print(f"no channel named {args.channel!r}" if args.channel else "no channel configured")
        return 1

    async def send_all() -> int:
        failed = 0
        for channel in channels:
            sms = isinstance(channel, SmsChannel)
            audiences = (
                sorted(channel.recipients) if isinstance(channel, SmsChannel) else ["clinic"]
            )
            for audience in audiences:
                try:
                    await channel.send(_test_notice(channel.name, audience), "")
                except DeliveryError as exc:
                    failed += 1
                    print(f"{channel.name}: FAILED: {exc}")
                else:
                    print(f"{channel.name}: sent" + (f" ({audience})" if sms else ""))
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
        return 1 if failed else 0

    return asyncio.run(send_all())
