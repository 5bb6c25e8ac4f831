"""Screenshots of every page at kiosk and laptop sizes, checked: not blank, key parts in view.

They are written to ``var/screenshots/`` (or ``$CAMPUSGATE_SCREENSHOTS``) to be looked at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from tests.fixtures.browser import SCREENSHOTS, sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_helpers import gate_status, publish_status
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

SIZES = {"kiosk-portrait": (1080, 1920), "kiosk-landscape": (1920, 1080), "laptop": (1366, 768)}
# page -> (user, path, selectors that must be visible inside the viewport)
PAGES: dict[str, tuple[str | None, str, tuple[str, ...]]] = {
    "login": (None, "/login", ("#username", "#password", "button[type=submit]")),
    "kiosk": (
        "guard-n1",
        "/kiosk/north-1",
        (
            "#outcome",
            "#person-name",
            "#temperature",
            "#reasons",
            "#no-mask",
            "#remeasure-celsius",
            "#override-reason",
        ),
    ),
    "dashboard": (
        "officer",
        "/dashboard",
        (
            "#gate-rows tr[data-gate='north-1']",
            "button[data-command=lockdown]",
            "#cases li",
            "#live li",
        ),
    ),
    "clinic": ("nurse", "/clinic", ("#case-rows tr", "button.ack", "#sound-toggle")),
    "checkins": ("nurse", "/checkins", ("#unit", "#save-class", "#sheet")),
    "users": ("admin", "/admin/users", ("#users", "#user-form")),
    "audit": ("auditor", "/audit", ("#person-form", "#trace-form", "#gate-form")),
    "reports": ("officer", "/reports", ("#report-form", "#report-pdf")),
    "appointments": ("admin", "/admin/appointments", ("#appointments", "#appointment-form")),
    "passes": ("admin", "/admin/passes", ("#passes",)),
    "roster": ("admin", "/admin/roster", ("#roster-file", "#roster-check")),
    "policy": (
        "admin",
        "/admin/policy",
        ("#level-select", "#level-reason", "#level-preview", "input[name=threshold]"),
    ),
    "policy-levels": ("admin", "/admin/policy/levels", ("form.level-edit input[name=threshold]",)),
}
LIVE_PAGES = frozenset({"kiosk", "dashboard", "clinic"})  # wait for their event stream


def assert_not_blank(path: Path) -> None:
    image = cv2.imread(str(path))
    assert image is not None, path
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert float(np.std(grey)) > 12, f"{path.name} looks blank (grey std {np.std(grey):.1f})"
    colours = len(np.unique(image.reshape(-1, 3)[::97], axis=0))
    assert colours > 20, f"{path.name} has only {colours} colours"


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["width"] > 0
        and box["height"] > 0
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] <= size["height"] + 1
    )


@pytest.fixture
def busy_campus(
    web: WebServer, central: CentralWorker, broker: LocalBroker, campus: Campus, site: str
) -> DecisionClient:
    """Gates reporting, passages of every outcome, and an open fever case."""
    gate = DecisionClient(broker.url, site=site).connect()
    for name, health in (("north-1", "ok"), ("north-2", "degraded"), ("south-2", "ok")):
        publish_status(gate.bus, gate_status(site, name, thermometer=health))
    people = campus.people
    for index, person in enumerate(people[:6]):
        assert gate.request(
            passage(site, campus.code(person.person_id), gate=("north-1", "north-2")[index % 2])
        )
    assert gate.request(passage(site, campus.code("nobody")))
    assert gate.request(passage(site, campus.code(people[9].person_id), celsius=None))
    assert gate.request(passage(site, campus.code(people[10].person_id), "38.6", gate="south-2"))
    return gate


def test_every_page_at_kiosk_and_laptop_sizes(
    web: WebServer, busy_campus: DecisionClient, campus: Campus, site: str, new_page: Any
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    for name, (user, path, selectors) in PAGES.items():
        # One sign-in per page; each size is the page loaded afresh in a window of that size.
        page = new_page(*next(iter(SIZES.values())))
        for number, (size_name, (width, height)) in enumerate(SIZES.items()):
            page.set_viewport_size({"width": width, "height": height})
            if number:
                page.reload()
                if name in LIVE_PAGES:
                    page.wait_for_selector("body[data-live=connected]")
            elif user is None:
                page.goto(f"{web.url}{path}")
            else:
                sign_in(page, web, user, path, live=name in LIVE_PAGES)
            if name == "kiosk":  # a person on screen, as the guard sees it
                fever = busy_campus.request(
                    passage(site, campus.code(campus.people[11].person_id), "38.1")
                )
                assert fever is not None
                expect(page.locator("#decision")).to_have_attribute(
                    "data-event-id", str(fever.event_id)
                )
                page.evaluate("document.getAnimations().forEach(a => a.pause())")  # steady colour
            for selector in selectors:
                expect(page.locator(selector).first).to_be_visible()
                assert in_viewport(page, selector), (
                    f"{selector} is not in view on {name} at {size_name}"
                )
            target = SCREENSHOTS / f"{name}-{size_name}.png"
            page.screenshot(path=str(target))
            assert_not_blank(target)
            taken.append(target)
        page.context.close()
    assert len(taken) == len(PAGES) * len(SIZES)
