"""Stored text embedded in a page's data never stops the page's scripts (issue 14, item 8).

An override reason with ``<!--<script`` put the HTML parser into its "script data double
escaped" state: the page-data block swallowed the rest of the document, so the kiosk's and
the dashboard's scripts never ran.  The attack is performed as a guard would: the reason is
stored through the API, then the pages are opened in Chromium and must still go live and
update when a gate reports.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from services.central.worker import CentralWorker
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_helpers import gate_status, publish_status
from tests.fixtures.web_server import WebServer
from ui.pages import script_json

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

HOSTILE = "<!--<script \u2028\u2029 <b>&amp;</b>"


def test_script_json_escapes_every_character_that_can_leave_or_bend_a_script_block() -> None:
    value = {"reason": HOSTILE, "nested": [HOSTILE]}
    embedded = script_json(value)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in embedded
    assert json.loads(embedded) == value


def test_a_hostile_override_reason_does_not_stop_the_kiosk_or_the_dashboard(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
) -> None:
    denied = gate.request(passage(site, campus.code("nobody")))
    assert denied is not None
    with web.client("guard-n1") as guard:
        stored = guard.post(
            "/api/v1/gates/north-1/override",
            json={"event_id": str(denied.event_id), "reason": f"held {HOSTILE} door"},
        )
    assert stored.status_code == 200, stored.text

    kiosk = new_page()
    sign_in(kiosk, web, "guard-n1", "/kiosk/north-1")  # waits for the live stream: scripts ran
    dashboard = new_page()
    sign_in(dashboard, web, "officer", "/dashboard")
    expect(dashboard.locator("#commands li").first).to_contain_text(f"held {HOSTILE} door")

    publish_status(gate.bus, gate_status(site, "north-1", thermometer="fault"))
    expect(kiosk.locator("#gate-state")).to_have_class("chip ok")
    expect(kiosk.locator("#devices")).to_contain_text("LU90614")
    row = dashboard.locator("#gate-rows tr[data-gate='north-1']")
    expect(row).to_contain_text("thermometer: fault")
