"""How an operator configures the bots (env JSON or a TOML file), and what a mistake costs:
an error naming the field, never echoing a bot's URL or signing secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from kernel.errors import ConfigError
from services.cli.main import main
from services.web.notify.build import chat_settings, extra_channels
from services.web.notify.chat import ChatChannel
from services.web.notify.limits import Limits
from services.web.settings import NotifySettings, WebSettings
from tests.fixtures.chat_notices import NOTICES, SHANGHAI
from tests.fixtures.chat_receivers import FakeSmsGateway, RecordingServer
from tests.fixtures.web_helpers import on_a_thread

KEY = "wecom-key-that-must-stay-secret"
SECRET = "SECsigning-secret-that-must-stay-secret"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "notify.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_a_channels_file_and_the_environment_make_one_list_of_bots(tmp_path: Path) -> None:
    path = write(tmp_path, f"""
[[channels]]
name = "office-dingtalk"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token={KEY}"
secret = "{SECRET}"
audiences = ["security"]
kinds = ["escalation", "incident", "lockdown", "release"]

[[channels]]
name = "clinic-feishu"
kind = "feishu"
url = "https://open.feishu.cn/open-apis/bot/v2/hook/{KEY}"
audiences = ["clinic"]
format = "text"
lang = "en"
""")  # fmt: skip
    env = [{"name": "clinic-wecom", "kind": "wecom", "url": WECOM, "audiences": ["clinic"]}]
    notify = NotifySettings.model_validate({"channels": env, "channels_file": str(path)})
    bots = chat_settings(notify)
    assert [(b.name, b.kind, b.limit_per_minute) for b in bots] == [
        ("clinic-wecom", "wecom", 20),
        ("office-dingtalk", "dingtalk", 20),
        ("clinic-feishu", "feishu", 100),
    ]
    made = extra_channels(notify, SHANGHAI, lambda: 0.0)
    channels = [c for c, _policy in made if isinstance(c, ChatChannel)]
    assert [c.fmt for c in channels] == ["markdown", "markdown", "text"]
    assert [c.shown_url for c in channels] == [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        "https://oapi.dingtalk.com/robot/send?access_token=***",
        "https://open.feishu.cn/open-apis/bot/v2/hook/***",
    ]
    assert KEY not in repr(bots)
    assert SECRET not in repr(bots)


BAD_FILES = [
    ('kind = "wecom"\nsecret = "SECRET"', "WeCom group bots have no signing secret"),
    ('kind = "feishu"\nformat = "markdown"', "feishu takes post or text messages"),
    ('kind = "wecom"\naudiences = ["visitor"]', "channels.0.audiences.0"),
    ('kind = "wecom"\nkinds = ["visitor_code"]', "unknown notice kinds ['visitor_code']"),
    ('kind = "slack"', "channels.0.kind"),
    ('kind = "wecom"\nurl = "ftp://x/?key=SECRET"', "must be https://"),
]


@pytest.mark.parametrize(("fields", "said"), BAD_FILES)
def test_a_bad_channels_file_names_the_field_and_never_a_secret(
    tmp_path: Path, fields: str, said: str
) -> None:
    lines = dict.fromkeys(["name", "url", "audiences"])
    head = {"name": 'name = "x"', "url": f'url = "{WECOM}"', "audiences": 'audiences = ["clinic"]'}
    mine = {line.split(" ")[0] for line in fields.splitlines()}
    body = "\n".join([*(head[k] for k in lines if k not in mine), fields.replace("SECRET", KEY)])
    path = write(tmp_path, f"[[channels]]\n{body}\n")
    read = NotifySettings.model_validate({"channels_file": str(path)})
    with pytest.raises(ConfigError) as raised:
        chat_settings(read)
    assert said in str(raised.value)
    assert KEY not in str(raised.value)


def test_names_are_unique_and_a_readable_file_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, f'[[channels]]\nname = "a"\nkind = "wecom"\nurl = "{WECOM}"\n'
                           'audiences = ["clinic"]\n', mode=0o644)  # fmt: skip
    env = [{"name": "a", "kind": "wecom", "url": WECOM, "audiences": ["security"]}]
    with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match=r"unique.*\['a'\]"):
        chat_settings(NotifySettings.model_validate({"channels": env, "channels_file": str(path)}))
    assert "readable by others (mode 644)" in caplog.text
    assert KEY not in caplog.text
    broken = write(tmp_path, f'[[channels]\nurl = "{WECOM}"')
    with pytest.raises(ConfigError, match="not TOML") as raised:
        chat_settings(NotifySettings.model_validate({"channels_file": str(broken)}))
    assert KEY not in str(raised.value)


def test_campusgate_web_refuses_a_bad_bot_without_printing_its_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CAMPUSGATE_WEB__DEMO", "true")
    bad = [{"name": "a", "kind": "dingtalk", "url": WECOM.replace("https", "gopher"),
            "secret": SECRET, "audiences": ["clinic"]}]  # fmt: skip
    monkeypatch.setenv("CAMPUSGATE_NOTIFY__CHANNELS", json.dumps(bad))
    assert main(["web", "--db", f"sqlite:///{tmp_path}/x.db", "--no-upgrade"]) == 2
    err = capsys.readouterr().err
    assert "notify.channels.0.url" in err
    assert KEY not in err
    assert SECRET not in err
    with pytest.raises(ValueError, match="must be https") as raised:
        WebSettings()
    assert KEY not in str(raised.value)


def test_an_approvers_group_gets_the_walk_ins_of_its_own_units_only() -> None:
    bots = [
        {"name": "cs", "kind": "wecom", "url": WECOM, "audiences": ["approvers"],
         "units": ["计算机学院"]},
        {"name": "physics", "kind": "feishu", "url": WECOM, "audiences": ["approvers"],
         "units": ["物理学院"]},
        {"name": "all-units", "kind": "dingtalk", "url": WECOM, "audiences": ["approvers"]},
    ]  # fmt: skip
    made = extra_channels(NotifySettings.model_validate({"channels": bots}), SHANGHAI, lambda: 0)
    walkin = NOTICES["walkin"]  # for 计算机学院
    assert [c.name for c, _policy in made if c.target(walkin)] == ["cs", "all-units"]
    assert [c.name for c, _policy in made if c.target(NOTICES["fever_alert"])] == []
    feishu = made[1][0]
    assert isinstance(feishu, ChatChannel)
    assert isinstance(feishu.limiter, Limits)  # Feishu: 5 a second and 100 a minute
    assert [(w.limit, w.period_s) for w in feishu.limiter.windows] == [(5, 1.0), (100, 60.0)]


def test_campusgate_notify_lists_the_channels_and_sends_each_a_test(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recording_server: Callable[..., RecordingServer],
    sms_gateway: Callable[..., FakeSmsGateway],
) -> None:
    good = recording_server()
    refusing = recording_server((200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    sms = sms_gateway("sms-token-0123456789abcdef")
    bots = [
        {"name": "clinic-wecom", "kind": "wecom", "url": good.url(), "audiences": ["clinic"]},
        {"name": "old-bot", "kind": "wecom", "url": refusing.url(), "audiences": ["security"]},
    ]
    monkeypatch.setenv("CAMPUSGATE_WEB__DEMO", "true")
    monkeypatch.setenv("CAMPUSGATE_NOTIFY__CHANNELS", json.dumps(bots))
    monkeypatch.setenv("CAMPUSGATE_NOTIFY__SMS__URL", f"http://127.0.0.1:{sms.port}/sms")
    monkeypatch.setenv("CAMPUSGATE_NOTIFY__SMS__TOKEN", "sms-token-0123456789abcdef")
    monkeypatch.setenv("CAMPUSGATE_NOTIFY__SMS__SECURITY_TO", '["13900002222"]')
    assert main(["notify", "list"]) == 0
    listed = capsys.readouterr().out
    assert "clinic-wecom\twecom/markdown\tclinic\tunsigned\thttp://127.0.0.1:" in listed
    assert "test-key-123" not in listed
    assert "sms\tsecurity\t139****2222" in listed
    assert on_a_thread(main, ["notify", "test"]) == 1  # one bot refuses
    said = capsys.readouterr().out.splitlines()
    assert said == ["clinic-wecom: sent",
                    "old-bot: FAILED: wecom errcode 93000: invalid webhook url",
                    "sms: sent (security)"]  # fmt: skip
    content = json.loads(good.get().body)["markdown"]["content"]
    assert content.startswith("**【校园门禁】测试消息**\n>渠道：clinic-wecom\n>时间：")
    assert json.loads(sms.get().body)["kind"] == "test"
    assert on_a_thread(main, ["notify", "test", "--channel", "clinic-wecom"]) == 0
    assert capsys.readouterr().out == "clinic-wecom: sent\n"
    assert on_a_thread(main, ["notify", "test", "--channel", "nobody"]) == 1
