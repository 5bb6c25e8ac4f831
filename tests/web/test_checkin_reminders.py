"""Missing check-in reminders over real HTTP (a local webhook receiver, signed notices):
the clinic gets the whole list, each unit's 信息员 only their own unit's, asked for or
on schedule once a slot's deadline has passed (once, however often the timer looks)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.web.app import build_channels
from services.web.checkins import reminders
from services.web.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from services.web.settings import WebSettings
from tests.fixtures.classes import Classes, seed_classes
from tests.fixtures.receivers import WebhookReceiver
from tests.fixtures.web_server import ShiftedClock, WebServer

pytestmark = pytest.mark.mqtt

SECRET = "reminder-webhook-secret-42"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def with_hook(make_server: Callable[..., WebServer], users: str, clock: ShiftedClock,
              hook: WebhookReceiver, **web: Any) -> WebServer:  # fmt: skip
    webhook = {"url": hook.url, "secret": SECRET, "backoff_s": 0}
    settings = WebSettings.model_validate({"web": {"demo": True}, "notify": {"webhook": webhook}})
    return make_server(users, clock=clock, channels=build_channels(settings, clock), **web)


def received(hook: WebhookReceiver, count: int) -> list[dict[str, Any]]:
    bodies = []
    for _ in range(count):
        got = hook.requests.get(timeout=15)
        assert verify_signature(SECRET.encode(), got.headers[TIMESTAMP_HEADER], got.body,
                                got.headers[SIGNATURE_HEADER], time.time())  # fmt: skip
        bodies.append(json.loads(got.body))
    return bodies


def by_unit(bodies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["data"]["unit"]: b for b in bodies if b["audience"] == "officers"}


def check_unit_notices(notices: dict[str, dict[str, Any]], missing: dict[str, list[str]]) -> None:
    """Each officer's notice names their unit and exactly its missing people, nobody else's."""
    assert {u: n["data"]["officers"] for u, n in notices.items()} == {
        "Class A": ["infoofficer-cs"],
        "Class B": ["officer-b"],
    }
    for unit, notice in notices.items():
        people = [p["person_id"] for p in notice["data"]["people"]]
        assert people == missing[unit], unit
        assert notice["kind"] == "checkin_reminder_unit"
        assert notice["text"].startswith(f"{unit}：")
        assert "未报" in notice["text"]
        assert "请提醒" in notice["text"]
        for other, ids in missing.items():
            for person_id in ids:
                assert (person_id in notice["text"]) == (other == unit), (unit, person_id)


def test_the_clinic_reminds_and_each_units_officers_get_only_their_unit(
    make_server: Callable[..., WebServer],
    users: str,
    web_clock: ShiftedClock,
    hook: WebhookReceiver,
) -> None:
    classes: Classes = seed_classes(users)
    web = with_hook(make_server, users, web_clock, hook)
    a = classes.people["Class A"]
    with web.client("infoofficer-cs") as officer:
        body = {"person_id": a[0], "slot": "morning", "celsius": "36.5"}
        done = officer.post("/api/v1/checkins", json=body)
        assert done.status_code == 200
    with web.client("nurse") as nurse:
        answer = nurse.post("/api/v1/checkins/remind", params={"slot": "morning"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["officer_units"] == ["Class A", "Class B"]  # Class C has no officer
    bodies = received(hook, 3)
    [clinic] = [b for b in bodies if b["audience"] == "clinic"]
    assert clinic["data"]["total"] == 2 + 2 + 2
    missing = {"Class A": a[1:], "Class B": classes.people["Class B"]}
    check_unit_notices(by_unit(bodies), missing)
    assert "晨检" in by_unit(bodies)["Class A"]["text"]


def test_scheduled_reminders_go_once_a_slot_is_due(
    make_server: Callable[..., WebServer],
    users: str,
    web_clock: ShiftedClock,
    hook: WebhookReceiver,
) -> None:
    classes = seed_classes(users)
    # Both deadlines at midnight: due as soon as the timer looks.
    web = with_hook(make_server, users, web_clock, hook, checkin_auto_remind=True,
                    checkin_morning_deadline="00:00", checkin_noon_deadline="00:00")  # fmt: skip
    bodies = received(hook, 6)  # per slot: the clinic's, Class A's and Class B's
    for slot in ("morning", "noon"):
        mine = [b for b in bodies if b["data"].get("slot") == slot]
        check_unit_notices(by_unit(mine), {u: classes.people[u] for u in ("Class A", "Class B")})
    assert sorted(b["audience"] for b in bodies) == ["clinic"] * 2 + ["officers"] * 4
    # Sent: the timer (and any other web process) finds nothing more to send today.
    assert reminders.remind_due(web.ctx) == []
    assert hook.count == 6
