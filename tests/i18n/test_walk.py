"""A zh-CN site never shows an English word, a raw code or a UTC time (issue 18, "Done when").

A Chinese site (``CAMPUSGATE_LANG=zh``, its people in zh-CN) is set up in Asia/Shanghai,
and again in a zone far from UTC (America/Los_Angeles), over the seeded rows the page
tests use.  The test then reads everything the product writes for people:

- every page of ``tests/fixtures/pages.py``, as Chromium renders it (the body's text);
- every report format: CSV, XLSX (every sheet and cell), PDF (``pdftotext``), the chart;
- every export: audit passages and contact traces (CSV, XLSX, from the CLI and the web),
  the roster (CSV, XLSX), the roster import's validation report;
- every CLI listing (cases, check-ins, users, appointments, passes, keys, audit, policy,
  retention, reports, roster).

Each text fails on a key of the catalogue left as is (``rpt.col.gate``), a raw reason
code (``not_whitelisted``), an English-only text of the catalogue ("not on the
whitelist"), or a time written in UTC (``Z``, ``+00:00``, "UTC").  Data people typed
(names, units, purposes) is taken out first: it is theirs, not the product's words.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from matplotlib.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.codes import new_key
from kernel.decision.reasons import Reason
from services.broker_admin.local_broker import LocalBroker
from services.cli.main import main
from services.passes.service import BUILTIN_CATEGORIES
from services.policy.service import DEFAULT_LEVELS
from services.reports.daily import daily_report
from services.reports.render import chart_figure
from services.storage.engine import make_engine, upgrade
from services.storage.models import DeadLetterRow
from tests.fixtures.browser import sign_in
from tests.fixtures.pages import PAGES, enrol_tokens
from tests.fixtures.roster import chinese_csv_rows
from tests.fixtures.web import USERS, add_users, web_settings
from tests.fixtures.web_seed import PERSON_ID, UNIT, Seeded, appointment_request, seed
from tests.fixtures.web_server import WebServer
from ui.i18n import MESSAGES

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

SITE = "walk"
ZONES = ("Asia/Shanghai", "America/Los_Angeles")
CJK = re.compile(r"[\u4e00-\u9fff]")
KEY = re.compile(r"(?<![\w/.-])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w/-])")
UTC_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z\b|[+-]00:?00\b|UTC\b)|\bUTC\b")
# What people typed in the seeded rows (and the users' names): data, not the product's words.
# Also two kinds of data the product ships and an administrator edits, left to the policy
# editor (issue 18, item 4): the default pass categories' labels (bilingual) and the
# default response levels' descriptions.
DATA = (
    "Li Visitor", "Computer Science", "Zhang Baozheng", "seminar", "Physics", "Name S1",
    "visiting the lab", *USERS, "王小明 <b>",
    *(label for _name, label, *_rest in BUILTIN_CATEGORIES),
    *(f"{level.name}: {level.description}" for level in DEFAULT_LEVELS.values()),
)  # fmt: skip


def _english_only() -> list[str]:
    """The catalogue's English texts that no Chinese text contains (so never a zh word)."""
    zh_texts = " ".join(texts[0] for texts in MESSAGES.values())
    found = set()
    for texts in MESSAGES.values():
        for part in re.split(r"{\w+}", texts[1]):
            phrase = part.strip(" :：,.;()[]/-·…\n")
            if len(re.findall(r"[A-Za-z]", phrase)) >= 4 and phrase not in zh_texts:
                found.add(phrase)
    return sorted(found, key=len, reverse=True)


ENGLISH_ONLY = _english_only()
ENGLISH = re.compile("|".join(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])" for p in ENGLISH_ONLY))
REASON_CODE = re.compile("|".join(rf"(?<![\w.-]){code.value}(?![\w.-])" for code in Reason))


def faults(where: str, text: str) -> list[str]:
    """Everything in ``text`` a zh-CN reader should never meet, one line each."""
    for data in DATA:
        text = text.replace(data, " ")
    found = [f"{where}: catalogue key {k!r}" for k in KEY.findall(text) if k in MESSAGES]
    for what, pattern in (
        ("reason code", REASON_CODE),
        ("English", ENGLISH),
        ("UTC time", UTC_TIME),
    ):
        for m in pattern.finditer(text):
            around = text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            found.append(f"{where}: {what} {m.group()!r} in {around!r}")
    return found


def test_the_checker_sees_every_fault() -> None:
    assert faults("x", "门岗 2026-12-03T08:00:00+08:00 不在白名单 Li Visitor") == []
    assert faults("x", "拒绝 rpt.col.gate") == ["x: catalogue key 'rpt.col.gate'"]
    assert faults("x", "原因 not_whitelisted") == [
        "x: reason code 'not_whitelisted' in '原因 not_whitelisted'"
    ]
    assert faults("x", "not on the whitelist") == [
        "x: English 'not on the whitelist' in 'not on the whitelist'"
    ]
    assert faults("x", "2026-12-03T00:00:00+00:00") == [
        "x: UTC time '00:00:00+00:00' in '2026-12-03T00:00:00+00:00'"
    ]
    assert faults("x", "00:00:00.123Z") == ["x: UTC time '00:00:00.123Z' in '00:00:00.123Z'"]
    assert faults("x", "08:00 UTC") == ["x: UTC time '08:00 UTC' in '08:00 UTC'"]
    assert faults("x", "Daily report") == ["x: English 'Daily report' in 'Daily report'"]


@dataclass
class Site:
    """One Chinese site in one zone: its web server, database, keys and seeded rows."""

    zone: str
    web: WebServer
    url: str
    folder: Path
    seeded: Seeded
    enrol: tuple[str, str]

    @property
    def offset(self) -> str:
        """The zone's offset now, as the product writes it (+08:00, -08:00)."""
        return datetime.now(ZoneInfo(self.zone)).isoformat()[-6:]


@pytest.fixture(scope="module", params=ZONES)
def site(
    request: pytest.FixtureRequest, broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    zone: str = request.param
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CAMPUSGATE_LANG", "zh")
        env.setenv("CAMPUSGATE_TZ", zone)
        folder = Path(tmp_path_factory.mktemp("walk"))
        url = f"sqlite:///{folder / 'walk.db'}"
        upgrade(url)
        add_users(url, lang="zh-CN")
        new_key(folder / "keys")
        settings = web_settings(broker, url, SITE, keys_dir=str(folder / "keys"), timezone=zone)
        web = WebServer(settings).start()
        try:
            seeded = seed(url, SITE)
            _dead_letter_in_chinese(url)
            with web.client("admin") as admin:  # a pass, so the listings have one
                now = datetime.now(UTC)
                asked = appointment_request(SITE, now)
                admin.post("/api/v1/passes", json={
                    "category": "duty", "holder_name": asked.visitor_name,
                    "id_number": asked.id_number.get_secret_value(), "gates": ["*"],
                    "valid_from": now.isoformat(),
                    "valid_until": (now + timedelta(hours=2)).isoformat(),
                }).raise_for_status()  # fmt: skip
            yield Site(zone, web, url, folder, seeded, enrol_tokens(url))
        finally:
            web.stop()


def _dead_letter_in_chinese(url: str) -> None:
    """The seeded undelivered notice failed with "refused" (the OS's words, not ours)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            for row in session.scalars(select(DeadLetterRow)):
                row.error = "连接被拒绝"
    finally:
        engine.dispose()


def test_every_page_speaks_chinese_on_the_site_clock(site: Site, browser: Any) -> None:
    found: list[str] = []
    contexts: dict[str | None, Any] = {}
    try:
        for template, (user, path) in sorted(PAGES.items()):
            if user not in contexts:  # one browser per person, in Chinese
                contexts[user] = browser.new_context(locale="zh-CN", timezone_id=site.zone)
                page = contexts[user].new_page()
                page.set_default_timeout(10_000)
                if user == "person":
                    _shown, spent = site.enrol
                    page.request.post(f"{site.web.url}/me/enrol/{spent}",
                                      form={"pin": "123456", "pin2": "123456"})  # fmt: skip
                elif user is not None:
                    sign_in(page, site.web, user, live=False)
            page = contexts[user].pages[0]
            url = path.format(event=site.seeded.north_event, visit=site.seeded.visit_token,
                              enrol=site.enrol[0])  # fmt: skip
            page.goto(f"{site.web.url}{url}")
            page.wait_for_load_state("load")
            if page.evaluate("document.body.hasAttribute('data-live')"):
                page.wait_for_selector("body[data-live=connected]")
            text = page.title() + "\n" + page.inner_text("body")
            assert CJK.search(text), f"{template}: no Chinese at all"
            # The explanation's evidence (pre.json) is shown as recorded, its field names and
            # codes too; only its times are the site's.  Everything else: every check.
            for evidence in page.locator("pre.json").all_inner_texts():
                found += [f for f in faults(template, evidence) if ": UTC time " in f]
                text = text.replace(evidence, "")
            found += faults(template, text)
    finally:
        for context in contexts.values():
            context.close()
    assert not found, "\n".join(found)


def _xlsx_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = [" ".join(workbook.sheetnames)]
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells.append(" ".join("" if v is None else str(v) for v in row))
    return "\n".join(cells)


def file_text(path: Path) -> str:
    """What a person reads in a file the product wrote (CSV, XLSX, PDF)."""
    if path.suffix == ".xlsx":
        return _xlsx_text(path)
    if path.suffix == ".pdf":
        assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True, text=True)  # fmt: skip
        return done.stdout
    return path.read_text(encoding="utf-8-sig")


def cli(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code = main(list(words))
    out = capsys.readouterr()
    assert code in (0, 1), f"campusgate {' '.join(words)}: {code} {out.err}"
    return out.out


def test_every_report_export_and_listing_speaks_chinese_on_the_site_clock(
    site: Site, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPUSGATE_LANG", "zh")
    monkeypatch.setenv("CAMPUSGATE_TZ", site.zone)
    monkeypatch.setenv("CAMPUSGATE_DB__URL", site.url)
    db, keys = ("--db", site.url), ("--dir", str(site.folder / "keys"))
    today = datetime.now(ZoneInfo(site.zone)).date().isoformat()
    roster = tmp_path / "名单导入.csv"
    roster.write_text("\n".join(chinese_csv_rows()) + "\n", encoding="utf-8")
    contacts = tmp_path / "密接名单.txt"
    contacts.write_text("nobody-here\n12/34\n", encoding="utf-8")  # one unknown, one not an id
    s = site.seeded
    listings: dict[str, list[str]] = {
        "case list": ["case", "list", "--site", SITE, "--all"],
        "case show": ["case", "show", s.case_id, "--site", SITE],
        "case open --file": ["case", "open", "--file", str(contacts), "--site", SITE,
                             "--dry-run", "--demo-key"],
        "checkin sheet": ["checkin", "sheet", "--site", SITE, "--unit", UNIT],
        "checkin missing": ["checkin", "missing", "--site", SITE, "--slot", "morning"],
        "user list": ["user", "list"],
        "appointment list": ["appointment", "list"],
        "appointment show": ["appointment", "show", s.appointments[0]],
        "pass list": ["pass", "list"],
        "keys list": ["keys", "list", *keys],
        "audit person": ["audit", "person", PERSON_ID, "--out",
                         str(tmp_path / "通行记录.csv")],
        "audit gate": ["audit", "gate", "north-1", "--site", SITE, "--out",
                       str(tmp_path / "校门.xlsx")],
        "audit trace": ["audit", "trace", PERSON_ID, "--out",
                        str(tmp_path / "追踪.xlsx")],
        "audit trace csv": ["audit", "trace", PERSON_ID, "--out",
                            str(tmp_path / "追踪.csv")],
        "audit log": ["audit", "log"],
        "policy history": ["policy", "history", "--site", SITE],
        "retention runs": ["retention", "runs"],
        "roster import": ["roster", "import", str(roster), "--demo-key"],
        "roster export csv": ["roster", "export", "--out", str(tmp_path / "白名单.csv")],
        "roster export xlsx": ["roster", "export", "--out", str(tmp_path / "白名单.xlsx")],
        "roster show": ["roster", "show", "2021001"],
        **{
            f"report daily {fmt}": ["report", "daily", "--site", SITE, "--date", today,
                                    "--format", fmt, "--out", str(tmp_path / f"日报告.{fmt}")]
            for fmt in ("csv", "xlsx", "pdf")
        },
    }  # fmt: skip
    found: list[str] = []
    for name, words in listings.items():
        out = cli(capsys, *words, *(db if words[0] not in ("keys",) else ()))
        found += faults(name, out.replace(str(tmp_path), "<folder>"))
    # audit explain: the decision and why in words; the recorded evidence after it is shown
    # as recorded (field names, codes), only its times on the site's clock.
    explained = cli(capsys, "audit", "explain", str(s.north_event), *db)
    words, _sep, evidence = explained.partition("\n" + MESSAGES["audit.inputs"][0])
    assert evidence, explained
    found += faults("audit explain", words)
    found += [f for f in faults("audit explain", evidence) if ": UTC time " in f]
    written = sorted(p for p in tmp_path.iterdir() if p.suffix in (".csv", ".xlsx", ".pdf"))
    assert {p.name for p in written} >= {"日报告.pdf", "日报告.xlsx", "通行记录.csv", "追踪.xlsx"}
    for path in written:
        if path != roster:
            text = file_text(path)
            found += faults(path.name, text)
    found += _web_downloads(site, tmp_path)
    found += _chart(site)
    assert not found, "\n".join(found)
    # The files carry the site's offset; the daily report's CSV names its zone and time.
    daily = list(csv.reader(io.StringIO(file_text(tmp_path / "日报告.csv"))))
    assert daily[1][0] == "生成时间"
    assert daily[1][1].endswith(site.offset), daily[1]
    assert "不在白名单" in file_text(tmp_path / "日报告.xlsx")
    assert "不在白名单" in file_text(tmp_path / "日报告.pdf")
    assert site.offset in file_text(tmp_path / "通行记录.csv")


def _web_downloads(site: Site, folder: Path) -> list[str]:
    """The report and the audit exports as a zh-CN user downloads them from the web."""
    found: list[str] = []
    day = datetime.now(ZoneInfo(site.zone)).date().isoformat()
    history = f"/api/v1/audit/persons/{PERSON_ID}/history"
    asks = {
        "officer": [f"/api/v1/reports/daily?date={day}&format={f}" for f in ("csv", "xlsx", "pdf")],
        "auditor": [f"{history}?format={f}" for f in ("csv", "xlsx")],
    }  # fmt: skip
    for user, paths in asks.items():
        with site.web.client(user) as client:
            for index, path in enumerate(paths):
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.text[:200])
                fmt = path.rsplit("format=", 1)[1]
                saved = folder / f"web-{user}-{index}.{fmt}"
                saved.write_bytes(answer.content)
                found += faults(f"web {path}", file_text(saved))
    return found


def _chart(site: Site) -> list[str]:
    """The chart's words (title, axes, legend) as the report files draw it."""
    engine = make_engine(site.url)
    zone = ZoneInfo(site.zone)
    try:
        with Session(engine) as session:
            report = daily_report(session=session, site=SITE, day=datetime.now(zone).date(),
                                  tz=zone, now=datetime.now(UTC))  # fmt: skip
    finally:
        engine.dispose()
    figure = chart_figure(report, "zh-CN")
    texts = [t.get_text() for t in figure.findobj(Text) if t.get_text()]
    assert any(CJK.search(t) for t in texts), texts
    return faults("chart", "\n".join(texts))
