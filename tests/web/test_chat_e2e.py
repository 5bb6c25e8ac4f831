"""The whole path: a fever decided by the real central worker reaches the clinic's WeCom
group as configured by an operator (a TOML channels file), the escalation reaches the
security office's signed DingTalk group and not the clinic's; an incident and a
lockdown recorded on the web reach the security office's group."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from tests.fixtures.campus import Campus
from tests.fixtures.chat_notices import DINGTALK_SECRET
from tests.fixtures.chat_receivers import RecordingServer
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_server import ShiftedClock, WebServer

HOSTILE = '@all <at user_id="all">所有人</at> **x** [点我](http://evil.example)'


def channels_file(tmp_path: Path, clinic: RecordingServer, office: RecordingServer) -> Path:
    path = tmp_path / "notify.toml"
    path.write_text(
        f"""
[[channels]]
name = "clinic-wecom"
kind = "wecom"
url = "{clinic.url()}"
audiences = ["clinic"]

[[channels]]
name = "office-dingtalk"
kind = "dingtalk"
url = "http://127.0.0.1:{office.port}/robot/send?access_token=office-token"
secret = "{DINGTALK_SECRET}"
audiences = ["security"]
backoff_s = 0
""",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def server_with_bots(
    make_server: Callable[..., WebServer],
    users: str,
    broker: LocalBroker,
    site: str,
    clock: ShiftedClock,
    path: Path,
) -> WebServer:
    from services.web.app import build_channels
    from tests.fixtures.web import web_settings

    settings = web_settings(broker, users, site)
    notify = settings.notify.model_validate({"channels_file": str(path)})
    configured = settings.model_copy(update={"notify": notify})
    return make_server(users, clock=clock, channels=build_channels(configured, clock))


@pytest.mark.mqtt
@pytest.mark.slow
def test_a_fever_decided_by_the_central_worker_reaches_the_clinics_wecom_group(
    make_server: Callable[..., WebServer],
    users: str,
    central: CentralWorker,
    campus: Campus,
    broker: LocalBroker,
    site: str,
    clock: ShiftedClock,
    recording_server: Callable[..., RecordingServer],
    tmp_path: Path,
) -> None:
    clinic, office = recording_server(), recording_server()
    path = channels_file(tmp_path, clinic, office)
    web = server_with_bots(make_server, users, broker, site, clock, path)
    person = campus.people[2]
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        fever = gate.request(passage(site, campus.code(person.person_id), "38.9"), timeout=15)
    finally:
        gate.close()
    assert fever is not None
    assert fever.decision == "isolate"
    got = clinic.get(timeout=15)
    assert got.target == "/cgi-bin/webhook/send?key=test-key-123"
    body = json.loads(got.body)
    assert list(body) == ["msgtype", "markdown"]
    content = body["markdown"]["content"]
    assert content.startswith('<font color="warning">**【校园门禁】发热告警**</font>\n')
    assert ">体温：38.9 °C（阈值 " in content
    assert f">病例：{fever.case_id}\n" in content
    assert person.name in content
    assert ">门岗：" in content
    assert "+08:00" in content  # the site's zone (Asia/Shanghai), not UTC
    # Nobody acknowledges: the security office's DingTalk group hears of it, signed.
    clock.advance(timedelta(seconds=web.settings.web.escalation_delay_s + 1))
    escalated = office.get(timeout=15)
    query = parse_qs(urlsplit(escalated.target).query)
    assert set(query) == {"access_token", "timestamp", "sign"}
    escalation = json.loads(escalated.body)
    assert escalation["markdown"]["title"] == "【校园门禁】发热告警升级"
    assert fever.case_id in escalation["markdown"]["text"]
    assert (clinic.count, office.count) == (1, 1)  # each group only its own audience


@pytest.mark.mqtt
def test_an_incident_and_a_lockdown_reach_the_security_offices_group_and_mention_nobody(
    make_server: Callable[..., WebServer],
    users: str,
    broker: LocalBroker,
    site: str,
    clock: ShiftedClock,
    recording_server: Callable[..., RecordingServer],
    tmp_path: Path,
) -> None:
    clinic, office = recording_server(), recording_server()
    web = server_with_bots(
        make_server, users, broker, site, clock, channels_file(tmp_path, clinic, office)
    )
    with web.client("guard-n1") as guard:
        made = guard.post("/api/v1/gates/north-1/incidents",
                          json={"kind": "forced_entry", "note": HOSTILE})  # fmt: skip
        assert made.status_code == 200
    text = json.loads(office.get(timeout=10).body)["markdown"]["text"]
    assert "- 事件：强行闯入\n" in text
    assert "- 登记人：guard-n1\n" in text
    assert "@" not in text
    assert "<at" not in text
    assert "](" not in text
    assert (
        "＠all ＜at user＿id＝＂all＂＞所有人＜/at＞ ＊＊x＊＊ ［点我］（http://evil.example）"
        in text
    )
    with web.client("officer") as officer:
        sent = officer.post("/api/v1/gates/north-1/commands",
                            json={"command": "lockdown", "reason": "疫情升级"})  # fmt: skip
        assert sent.status_code == 200
        officer.post("/api/v1/gates/north-1/commands", json={"command": "sync"})
    lockdown = json.loads(office.get(timeout=10).body)["markdown"]
    assert lockdown["title"] == "【校园门禁】门岗封闭"
    assert "- 操作人：officer\n\n- 原因：疫情升级\n" in lockdown["text"]
    assert (clinic.count, office.count) == (0, 2)  # not the clinic's; a sync is no news
