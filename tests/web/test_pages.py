"""Smaller page flows in Chromium: an administrator adds a user; a user switches language."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_an_administrator_adds_a_guard_who_then_signs_in(web: WebServer, new_page: Any) -> None:
    admin = new_page()
    sign_in(admin, web, "admin", "/admin/users", live=False)
    form = admin.locator("#user-form")
    form.locator("input[name=username]").fill("guard-n2")
    form.locator("input[name=password]").fill("a-long-password")
    form.locator("select[name=role]").select_option("guard")
    form.locator("input[name=gates]").fill("north-2")
    form.locator("button[type=submit]").click()
    expect(admin.locator("#users")).to_contain_text("guard-n2")
    expect(admin.locator("#users")).to_contain_text("north-2")
    # A guard without a gate is refused with a message, not a crash.
    form.locator("input[name=username]").fill("guard-x")
    form.locator("input[name=password]").fill("a-long-password")
    form.locator("select[name=role]").select_option("guard")
    form.locator("button[type=submit]").click()
    expect(admin.locator("#user-result")).to_have_class("error")
    guard = new_page()
    guard.goto(f"{web.url}/login")
    guard.fill("#username", "guard-n2")
    guard.fill("#password", "a-long-password")
    guard.click("button[type=submit]")
    guard.wait_for_url(f"{web.url}/kiosk/north-2")
    expect(guard.locator("#decision")).to_be_visible()


def test_a_user_switches_language_and_it_sticks(web: WebServer, new_page: Any) -> None:
    page = new_page()
    sign_in(page, web, "nurse", "/clinic")
    expect(page.locator("h1")).to_have_text("校医院 发热处置")
    page.select_option("#lang-select", "en")
    expect(page.locator("h1")).to_have_text("Clinic: fever cases")
    page.goto(f"{web.url}/clinic")
    expect(page.locator("h1")).to_have_text("Clinic: fever cases")
    expect(page.locator("html")).to_have_attribute("lang", "en")
