"""The roster page's one-person form in Chromium (issue 15, build 4): add with a photo, find,
deactivate; a bad value is shown as the roster's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from services.roster.photos import person_photo
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from tests.fixtures.browser import sign_in
from tests.fixtures.photos import image_bytes
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_an_administrator_adds_a_person_with_a_photo_then_deactivates_them(
    web: WebServer, users: str, new_page: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes(image_bytes())
    page = new_page()
    sign_in(page, web, "admin", "/admin/roster", live=False)
    form = page.locator("#person-form")
    form.locator("[name=person_id]").fill("X90001")
    form.locator("[name=name]").fill("John Smith")
    form.locator("[name=kind]").select_option("student")
    form.locator("[name=doc_type]").select_option("passport")
    form.locator("[name=id_number]").fill("E12345678")
    form.locator("[name=card_no]").fill("c0ffee99")
    form.locator("[name=dormitory]").fill("<b>7-203</b>")
    page.set_input_files("#person-photo", str(photo))
    form.locator("[name=reason]").fill("新生报到")
    page.click("#person-add")
    expect(page.locator("#person-result")).to_have_class("ok")
    expect(page.locator("#person-state")).to_contain_text("*5678")
    expect(page.locator("#person-img")).to_be_visible()
    page.click("#person-deactivate")
    expect(page.locator("#person-state")).to_have_attribute("data-active", "no")
    form.locator("[name=name]").fill("x" * 100 + "y")
    page.click("#person-save")
    expect(page.locator("#person-result")).to_have_class("error")
    engine = make_engine(users)
    try:
        with Session(engine) as session:
            stored = session.get(PersonRow, "X90001")
            assert stored is not None
            kept = (stored.name, stored.doc_type, stored.card_no, stored.dormitory, stored.active)
            assert kept == ("John Smith", "passport", "C0FFEE99", "<b>7-203</b>", False)
            assert person_photo(session, "X90001") is not None
    finally:
        engine.dispose()
