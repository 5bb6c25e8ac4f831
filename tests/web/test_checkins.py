"""The check-in page in Chromium: a class's morning temperatures entered at once, a fever among
them opens a case, the rest of the campus is listed as missing per unit, a reminder is sent."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.storage.engine import make_engine
from services.storage.health_models import CheckinRow
from services.storage.models import IsolationCaseRow, PersonRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def unit_people(db_url: str) -> dict[str, list[str]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            found: dict[str, list[str]] = {}
            query = select(PersonRow).where(PersonRow.kind.in_(["student", "staff"]))
            for p in session.scalars(query.order_by(PersonRow.person_id)):
                found.setdefault(p.unit, []).append(p.person_id)
            return found
    finally:
        engine.dispose()


def test_a_class_is_entered_at_once_and_the_missing_are_listed(
    web: WebServer, campus: Campus, users: str, new_page: Any
) -> None:
    units = unit_people(users)
    unit = sorted(units)[0]
    page = new_page(1366, 900)
    sign_in(page, web, "nurse", "/checkins", live=False)
    page.select_option("#unit", unit)
    # Fill only once the rows are the chosen unit's: a reload would wipe what was typed.
    expect(page.locator("#sheet-rows")).to_have_attribute("data-state", "ready")
    expect(page.locator("#sheet-rows")).to_have_attribute("data-unit", unit)
    rows = page.locator("#sheet-rows tr")
    expect(rows).to_have_count(len(units[unit]))
    first, second = units[unit][0], units[unit][1]
    page.fill(f"#sheet-rows tr[data-person-id='{first}'] input.celsius", "36.4")
    page.fill(f"#sheet-rows tr[data-person-id='{second}'] input.celsius", "38.1")
    page.select_option("#slot", "morning")
    page.click("#save-class")
    expect(page.locator("#checkin-result")).to_contain_text("已保存 2 人，1 人转病例")
    expect(page.locator(f"#sheet-rows tr[data-person-id='{second}'] td.morning")).to_contain_text(
        "38.1 °C"
    )
    engine = make_engine(users)
    try:
        with Session(engine) as session:
            case = session.scalars(select(IsolationCaseRow)).one()
            stored = session.scalars(select(CheckinRow)).all()
        assert (case.person_id, case.origin, case.opened_by) == (second, "checkin", "nurse")
        assert sorted(r.person_id for r in stored) == sorted([first, second])
    finally:
        engine.dispose()
    # A bad line (150 °C) stores nothing of the class.
    page.fill(f"#sheet-rows tr[data-person-id='{first}'] input.celsius", "36.9")
    page.fill(f"#sheet-rows tr[data-person-id='{second}'] input.celsius", "150")
    page.click("#save-class")
    expect(page.locator("#checkin-result")).to_have_class("error")
    # Missing reports per unit: everyone else of the campus, for both slots.
    page.reload()
    morning = page.locator(".missing-slot[data-slot='morning']")
    expected = sum(len(p) for p in units.values()) - 2
    expect(morning.locator("h3")).to_contain_text(str(expected))
    for other in units:
        if other != unit:
            expect(morning.locator(f"li[data-unit='{other}']")).to_contain_text(
                f"({len(units[other])})"
            )
    morning.locator("button.remind").click()
    expect(morning.locator("button.remind")).to_contain_text(f"已提醒（{expected} 人）")
