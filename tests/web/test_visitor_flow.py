"""Issue 16, done when: a visitor's own request on a phone, approved by the host unit's
approver (not an administrator) on a phone, the code on the status link, and the real
gate path (a gate agent lane and the central worker over Mosquitto) admitting it once
and refusing the replay; another unit's approver refused; a walk-in registered at the
kiosk, approved from the phone, admitted at the lane.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.lanes import StartLane
from tests.fixtures.roster import GOOD
from tests.fixtures.simulated_gate import Lane
from tests.fixtures.web_seed import GUARANTOR, UNIT, seed_units
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def office(make_server: Callable[..., WebServer], users: str, campus: Campus) -> WebServer:
    """The web over the campus database: approver-cs decides for UNIT, approver-ph for Physics."""
    seed_units(users)
    return make_server(users, keys_dir=str(campus.keys_dir))


@pytest.fixture
def lane(
    broker: LocalBroker, start_lane: StartLane, campus: Campus, central: CentralWorker
) -> Lane:
    return start_lane(broker.url, gate="north-1", site_keys=campus.keys_dir)


def decided(lane: Lane, event_id: uuid.UUID) -> Any:
    lane.wait_for(lambda: any(d.event_id == event_id for d in lane.decisions))
    return next(d for d in lane.decisions if d.event_id == event_id)


def fill_request(page: Any, web: WebServer, name: str) -> None:
    now = datetime.now(TZ)
    until = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))
    page.goto(f"{web.url}/visit")
    page.fill("input[name=visitor_name]", name)
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=document_number]", GOOD[3])
    page.select_option("select[name=host_unit]", UNIT)
    page.fill("input[name=host_person]", "陈教授")
    page.fill("textarea[name=purpose]", "论文答辩 <script>alert(1)</script>")
    page.fill("input[name=day]", now.date().isoformat())
    page.fill("input[name=time_from]", now.strftime("%H:%M"))
    page.fill("input[name=time_until]", until.strftime("%H:%M"))
    page.fill("textarea[name=companions]", "李同行")
    page.check("input[name=fever_free]")
    page.fill("input[name=last_test_on]", now.date().isoformat())
    page.fill("textarea[name=places]", "北京市海淀区")
    page.fill("input[name=guarantor]", GUARANTOR)
    page.click("button[type=submit]")


def test_a_visitor_request_approved_by_the_unit_on_a_phone_admits_once_at_the_gate(
    office: WebServer, lane: Lane, new_page: Callable[..., Any]
) -> None:
    visitor = new_page(**PHONE)
    fill_request(visitor, office, "王访客")
    expect(visitor.locator("#status")).to_have_text("待审核")
    status_url = visitor.url
    assert "/visit/status/" in status_url
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    approver = new_page(**PHONE)
    sign_in(approver, office, "approver-cs", then="/unit", live=False)
    card = approver.locator("article.request-card", has_text="王访客")
    expect(card).to_contain_text("<script>alert(1)</script>")  # shown as text, not run
    appointment_id = card.get_attribute("data-id")
    assert appointment_id
    with office.client("approver-ph") as other_unit:
        refused = other_unit.post(f"/api/v1/unit/appointments/{appointment_id}/approve", json={})
    assert (refused.status_code, refused.json()["error"]) == (403, "refused")
    card.locator("button.approve").click()
    expect(approver.locator("#visitor-code")).to_be_visible()
    assert approver.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    visitor.goto(status_url)
    expect(visitor.locator("#status")).to_have_text("已批准")
    code = visitor.locator("#code").inner_text()
    assert code.startswith("CG1.")

    first = decided(lane, lane.person(code).event_id)
    replay = decided(lane, lane.person(code, expect="deny").event_id)
    assert (first.decision, replay.decision) == ("admit", "deny")
    assert "code_used" in replay.reasons

    with office.client("officer") as security:
        log = security.get("/api/v1/appointments/decisions").json()
    [mine] = [a for a in log if a["appointment_id"] == appointment_id]
    assert (mine["status"], mine["decided_by"]) == ("approved", "approver-cs")


def test_a_walk_in_registered_at_the_kiosk_is_approved_on_a_phone_and_admitted(
    office: WebServer, lane: Lane, new_page: Callable[..., Any]
) -> None:
    kiosk = new_page(1280, 800)
    sign_in(kiosk, office, "guard-n1", then="/kiosk/north-1/walkin", live=False)
    kiosk.fill("input[name=visitor_name]", "赵临时")
    kiosk.fill("input[name=phone]", "13712345678")
    kiosk.fill("input[name=document_number]", GOOD[4])
    kiosk.select_option("select[name=host_unit]", UNIT)
    kiosk.fill("input[name=host_person]", "陈教授")
    kiosk.fill("input[name=purpose]", "送材料")
    kiosk.click("#walkin-form button[type=submit]")
    expect(kiosk.locator("#walkin-status")).to_have_attribute("data-status", "requested")

    approver = new_page(**PHONE)
    sign_in(approver, office, "approver-cs", then="/unit", live=False)
    card = approver.locator("article.request-card", has_text="赵临时")
    expect(card).to_contain_text("north-1")
    card.locator("button.approve").click()
    expect(approver.locator("#visitor-code")).to_be_visible()

    expect(kiosk.locator("#walkin-status")).to_have_attribute("data-status", "approved")
    code = kiosk.locator("#walkin-code").inner_text()
    admitted = decided(lane, lane.person(code).event_id)
    assert admitted.decision == "admit", admitted.reasons
