"""Follow-up flags of cases under observation through the real web service: a case whose
twice-daily readings were never taken and whose planned end passed is flagged in the JSON
API (and its ``flag`` filter), on the clinic page, in ``campusgate case list`` and in the
clinic report (API, CLI, and its page with TXT/CSV/XLSX/PDF, which the clinic now opens)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from services.cli.main import main
from tests.fixtures.browser import sign_in
from tests.fixtures.classes import seed_classes
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

ZONE = ZoneInfo("Asia/Shanghai")  # the web fixtures' site time zone


def open_case(nurse: httpx.Client, person_id: str) -> str:
    opened = nurse.post("/api/v1/cases", json={"person_id": person_id, "origin": "manual"})
    assert opened.status_code == 200, opened.text
    return str(opened.json()["case_id"])


def observe(nurse: httpx.Client, case_id: str, start: datetime, until: datetime) -> None:
    body = {"place": "room", "room": "R1", "start": start.isoformat(), "until": until.isoformat()}
    answer = nurse.post(f"/api/v1/cases/{case_id}/observe", json=body)
    assert answer.status_code == 200, answer.text


def constructed(web: WebServer, users: str) -> tuple[str, str, str]:
    """(forgotten, fresh, merely open): observed for three days without a reading, its end
    an hour ago; observed from now for a week; open and never observed."""
    people = seed_classes(users).people["Class A"]
    now = datetime.now(UTC)
    with web.client("nurse") as nurse:
        forgotten, fresh, plain = (open_case(nurse, p) for p in people)
        observe(nurse, forgotten, now - timedelta(days=3), now - timedelta(hours=1))
        observe(nurse, fresh, now, now + timedelta(days=7))
    return forgotten, fresh, plain


def test_the_api_flags_a_forgotten_observation_and_filters_by_flag(
    web: WebServer, users: str
) -> None:
    forgotten, fresh, plain = constructed(web, users)
    with web.client("nurse") as nurse:
        cases = {c["case_id"]: c for c in nurse.get("/api/v1/cases").json()}
        flagged = {
            flag: [c["case_id"] for c in nurse.get("/api/v1/cases", params={"flag": flag}).json()]
            for flag in ("missed_reading", "end_passed")
        }
        bad = nurse.get("/api/v1/cases", params={"flag": "anything"})
        detail = nurse.get(f"/api/v1/cases/{forgotten}").json()["case"]
    assert cases[forgotten]["flags"] == ["missed_reading", "end_passed"]
    # Three days back: at least the 6 slots of the last three days' deadlines, oldest first.
    missed = cases[forgotten]["missed_readings"]
    assert len(missed) >= 5
    assert missed == sorted(missed, key=lambda m: (m.split()[0], m.split()[1] == "noon"))
    assert (cases[fresh]["flags"], cases[plain]["flags"]) == ([], [])
    assert flagged == {"missed_reading": [forgotten], "end_passed": [forgotten]}
    assert bad.status_code == 422
    assert detail["flags"] == ["missed_reading", "end_passed"]


def test_the_cli_lists_the_flags_and_the_clinic_report_counts_them(
    web: WebServer, users: str, capsys: pytest.CaptureFixture[str]
) -> None:
    forgotten, fresh, _plain = constructed(web, users)
    site = web.settings.site
    assert main(["case", "list", "--db", users, "--site", site]) == 0
    listing = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[:-1]}
    assert "漏测体温（" in listing[forgotten]  # the site speaks Chinese: flags in words
    assert "观察期满未解除" in listing[forgotten]
    assert "漏测体温" not in listing[fresh]
    assert main(["case", "list", "--db", users, "--site", site, "--flag", "end_passed"]) == 0
    only = capsys.readouterr().out.splitlines()
    assert (len(only), only[0].split()[0], only[-1]) == (2, forgotten, "共 1 个病例")
    today = datetime.now(ZONE).date().isoformat()
    args = ["report", "clinic", "--db", users, "--site", site, "--date", today, "--tz", str(ZONE)]
    assert main(args) == 0
    report = capsys.readouterr().out
    assert "隔离观察跟进：漏测体温 1 例，观察期满未解除 1 例" in report
    assert f"病例 {forgotten}：漏测 " in report
    assert fresh not in report


@pytest.mark.slow
def test_the_clinic_sees_the_flags_and_opens_its_report_with_downloads(
    web: WebServer, users: str, new_page: Any
) -> None:
    forgotten, fresh, _plain = constructed(web, users)
    page = new_page(1366, 900)
    sign_in(page, web, "nurse", "/clinic")  # the nurse reads Chinese
    row = page.locator(f"tr[data-case-id='{forgotten}']")
    expect(row.locator(".flag[data-flag='missed_reading']")).to_have_text("漏测体温")
    expect(row.locator(".flag[data-flag='end_passed']")).to_have_text("观察期满未解除")
    expect(row.locator(".missed")).to_contain_text("缺测")
    expect(page.locator(f"tr[data-case-id='{fresh}'] .flag")).to_have_count(0)
    row.click()
    expect(page.locator("#case-flags .flag")).to_have_count(2)
    # The clinic report, on a page of its own: the clinic has no /reports.
    page.click("#clinic-report-page")
    expect(page.locator("#clinic-report")).to_be_visible()
    today = datetime.now(ZONE).date().isoformat()
    page.fill("#report-date", today)
    page.click("#clinic-report-form button[type=submit]")
    expect(page.locator("#clinic-report-card")).to_have_attribute("data-day", today)
    expect(page.locator("#clinic-report")).to_contain_text("观察期满未解除 1 例")
    followup = page.locator(f"#followup tr[data-case-id='{forgotten}']")
    expect(followup.locator(".flag")).to_have_count(2)
    downloads = {}
    for fmt in ("txt", "csv", "xlsx", "pdf"):
        href = page.get_attribute(f"#clinic-{fmt}", "href")
        assert href is not None
        answer = page.request.get(f"{web.url}{href}")
        assert answer.status == 200, fmt
        downloads[fmt] = answer.body()
    assert "观察期满未解除 1 例" in downloads["txt"].decode()
    csv_text = downloads["csv"].decode("utf-8-sig")
    followup_title = "隔离观察跟进：漏测体温、观察期满未解除"
    assert followup_title in csv_text
    assert f"{forgotten}," in csv_text
    book = load_workbook(io.BytesIO(downloads["xlsx"]))
    rows = [[c.value for c in r] for r in book[followup_title[:31]].iter_rows()]
    assert rows[1][0] == forgotten
    assert rows[1][2] == "漏测体温、观察期满未解除"
    assert downloads["pdf"].startswith(b"%PDF")
    assert page.request.get(f"{web.url}/reports").status == 403  # still the office's page
