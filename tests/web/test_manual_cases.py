"""Manual cases in Chromium: a case's contact trace isolates the contacts at their next passage;
one person and an uploaded list are isolated by hand, a bad list not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.central.worker import CentralWorker
from services.storage.engine import make_engine
from services.storage.models import IsolationCaseRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def case_count(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(IsolationCaseRow)) or 0
    finally:
        engine.dispose()


def test_isolating_a_cases_contacts_isolates_them_at_their_next_passage(
    web: WebServer,
    central: CentralWorker,
    gate: DecisionClient,
    campus: Campus,
    site: str,
    new_page: Any,
    users: str,
) -> None:
    sick, near, also, elsewhere = (campus.people[i] for i in (10, 11, 12, 13))
    for person in (near, also):
        admitted = gate.request(passage(site, campus.code(person.person_id)))
        assert admitted is not None
        assert admitted.decision == "admit"
    far = gate.request(passage(site, campus.code(elsewhere.person_id), gate="south-2"))
    assert far is not None
    fever = gate.request(passage(site, campus.code(sick.person_id), "38.4"))
    assert fever is not None
    assert fever.case_id is not None

    page = new_page(1366, 900)
    sign_in(page, web, "nurse", "/clinic")
    page.locator(f"#case-rows tr[data-case-id='{fever.case_id}']").click()
    page.locator("#contacts-load").click()
    listed = page.locator("#contacts li")
    expect(listed).to_have_count(2)
    assert {listed.nth(i).get_attribute("data-who") for i in range(2)} == {
        near.person_id,
        also.person_id,
    }
    page.locator("#isolate-contacts").click()
    expect(page.locator("#contacts-result")).to_contain_text("2")

    # Their next passage: isolated, with a case of their own; the one elsewhere is not.
    for person in (near, also):
        again = gate.request(passage(site, campus.code(person.person_id)))
        assert again is not None
        assert (again.decision, again.reasons) == ("isolate", ["isolation_pending"])
        assert again.case_id not in (None, fever.case_id)
    other = gate.request(passage(site, campus.code(elsewhere.person_id), gate="south-2"))
    assert other is not None
    assert other.decision == "admit"


def test_one_person_and_a_list_by_hand_and_a_bad_list_not_at_all(
    web: WebServer, campus: Campus, new_page: Any, users: str, tmp_path: Path
) -> None:
    page = new_page(1366, 900)
    sign_in(page, web, "nurse", "/clinic")
    page.fill("#isolate-person", campus.people[3].person_id)
    page.select_option("#isolate-origin", "authority")
    page.fill("#isolate-note", "district list")
    page.locator("#isolate-form button").click()
    row = page.locator("#case-rows tr").first
    expect(row).to_contain_text(campus.people[3].name)
    expect(row).to_contain_text("卫健部门名单")
    assert case_count(users) == 1
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{campus.people[4].person_id}\nnobody-at-all\n<script>x</script>\n")
    page.set_input_files("#list-file", str(bad))
    page.locator("#list-form button").click()
    expect(page.locator("#list-summary")).to_contain_text("(2)")
    expect(page.locator("#list-problems tr")).to_have_count(2)
    expect(page.locator("#list-problems")).to_contain_text("<script>x</script>")  # as text
    assert case_count(users) == 1  # nothing half stored
    good = tmp_path / "good.txt"
    good.write_text(f"{campus.people[4].person_id}\n{campus.people[5].person_id}\n")
    page.set_input_files("#list-file", str(good))
    page.locator("#list-form button").click()
    expect(page.locator("#list-summary")).to_have_text("已隔离 2 人")
    expect(page.locator("#list-problems")).to_be_hidden()
    assert case_count(users) == 3


def test_an_uploaded_list_of_100000_ids_with_garbage_is_refused_row_by_row(
    web: WebServer, campus: Campus, users: str
) -> None:
    known = [p.person_id for p in campus.people]
    rows = [known[i % len(known)] if i % 997 else f"<garbage {i}>\x07" for i in range(100_000)]
    body = "\n".join(rows).encode()
    with web.client("nurse") as nurse:
        answer = nurse.post("/api/v1/cases/list", files={"file": ("ids.txt", body, "text/plain")})
        assert answer.status_code == 200
        report = answer.json()
        assert (report["rows"], report["written"]) == (100_000, False)
        assert report["problem_count"] == len([i for i in range(100_000) if i % 997 == 0])
        assert report["problems"][0] == {
            "line": 1,
            "value": "<garbage 0>?",
            "reason": "既不是学号/工号也不是有效的身份证号",  # the nurse reads zh-CN
        }
        too_big = nurse.post("/api/v1/cases/list", files={"file": ("x.txt", b"x" * (5 << 20))})
        assert (too_big.status_code, too_big.json()["error"]) == (422, "list_too_large")
    with web.client("guard-n1") as guard:
        refused = guard.post("/api/v1/cases/list", files={"file": ("ids.txt", b"S1\n")})
        assert refused.status_code == 403
    assert case_count(users) == 0
