"""The daily report: its numbers equal counts made independently from the entries that made
them; an empty day gives a zero report; CSV, XLSX and PDF render; the scheduler produces
each day's report once, at the configured time, with an injected clock."""

from __future__ import annotations

import csv
import random
import shutil
import subprocess
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.clock import FixedClock
from schemas.messages import Temperature
from services.appointments import AppointmentRequest, add_approver, approve, request_appointment
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.reports.daily import DailyReport, daily_report
from services.reports.render import write_report
from services.reports.scheduler import DailyScheduler
from services.storage.models import EntryRow, IsolationCaseRow, ReportRunRow
from tests.fixtures.admin import HASHER, SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
START = datetime.combine(DAY, time.min, tzinfo=TZ)
GATES = ("north-1", "south-2", "east-1")


def local(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def build_day(engine: Engine, campus: Campus, processor: BatchProcessor) -> None:
    """A day of traffic, plus passages just outside it on both sides."""
    rng = random.Random(4)
    people = campus.people
    with Session(engine) as session, session.begin():
        add_approver(session=session, unit="CS", approver="prof", by="admin", now=local(-2))
        made = request_appointment(
            session=session,
            request=AppointmentRequest(
                site=SITE,
                visitor_name="Guest",
                id_number=SecretStr(GOOD[0]),
                host_unit="CS",
                gates=["north-1"],
                valid_from=local(9),
                valid_until=local(12),
            ),
            hasher=HASHER,
            by="host",
            now=local(1),
        )
        visitor = approve(
            session=session,
            appointment_id=made.appointment_id,
            by="prof",
            now=local(2),
            key=campus.key,
        ).code
    for index in range(80):
        when = local(rng.uniform(0, 24))
        who = people[rng.randrange(len(people))].person_id
        roll = rng.random()
        celsius = "38.2" if roll < 0.08 else None if roll < 0.12 else "36.5"
        code = campus.code("stranger" if rng.random() < 0.05 else who, now=when)
        sensor = "ir-north" if index % 2 else "ir-south"
        changes: dict[str, object] = {
            "gate": GATES[index % 3],
            "ts": when,
            "direction": "out" if rng.random() < 0.2 else "in",
            "mask": rng.random() > 0.05,
        }
        if celsius is not None:
            changes["temperature"] = Temperature(
                celsius=Decimal(celsius), sensor=sensor, measured_at=when
            )
        p = passage(SITE, code, celsius=celsius, **changes)
        decide_batch(processor, [p], when)
    for hours in (9.5, 10):
        decide_batch(processor, [passage(SITE, visitor, ts=local(hours))], local(hours))
    for outside in (local(-0.01), local(24)):  # 23:59 the day before, 00:00 the day after
        p = passage(SITE, campus.code(people[0].person_id, now=outside), ts=outside)
        decide_batch(processor, [p], outside)
    # The clinic re-measures the fever cases: some were false alarms.
    with Session(engine) as session, session.begin():
        cases = session.scalars(select(IsolationCaseRow).order_by(IsolationCaseRow.opened_at)).all()
        for number, case in enumerate(cases):
            case.clinic_celsius = Decimal("36.8") if number % 2 == 0 else Decimal("38.0")
            case.acknowledged_at = case.opened_at + timedelta(minutes=3)
            if number % 3 == 0:
                case.closed_at, case.status, case.outcome = (
                    case.opened_at + timedelta(hours=1),
                    "released",
                    "released",
                )


def independent_counts(engine: Engine) -> dict[str, object]:
    """The figures recomputed from the raw entry rows, without any report code."""
    with Session(engine) as session:
        rows = [r for r in session.scalars(select(EntryRow)) if r.ts.astimezone(TZ).date() == DAY]
        by_event = {r.event_id: r for r in session.scalars(select(EntryRow))}
        cases = list(session.scalars(select(IsolationCaseRow)))
    reasons = [[x for x in r.reasons.split(",") if x] for r in rows]
    sensors: Counter[tuple[str, str]] = Counter()
    for case in cases:
        entry = by_event[case.event_id]
        if case.opened_at.astimezone(TZ).date() == DAY and "fever" in entry.reasons.split(","):
            sensors[entry.sensor or "", "fever"] += 1
            if case.clinic_celsius is not None and case.clinic_celsius < Decimal("37.3"):
                sensors[entry.sensor or "", "below"] += 1
    return {
        "entries": len(rows),
        "by_decision": Counter(r.decision for r in rows),
        "by_gate": Counter((r.gate, r.direction, r.kind or "unknown", r.decision) for r in rows),
        "by_hour": Counter((r.ts.astimezone(TZ).hour, r.decision) for r in rows),
        "fevers": sum("fever" in x for x in reasons),
        "denial_reasons": Counter(
            x for r, rs in zip(rows, reasons, strict=True) if r.decision == "deny" for x in rs
        ),
        "cases_opened": sum(c.opened_at.astimezone(TZ).date() == DAY for c in cases),
        "sensors": sensors,
        "visitor_entries": sum(r.kind == "visitor" for r in rows),
    }


def make_report(engine: Engine, day: date = DAY) -> DailyReport:
    with Session(engine) as session:
        return daily_report(session=session, site=SITE, day=day, tz=TZ, now=local(31))


def test_report_numbers_equal_counts_from_the_entries(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    build_day(engine, campus, processor)
    report = make_report(engine)
    expected = independent_counts(engine)
    assert report.entries == expected["entries"] == 82
    assert not report.zero
    assert report.by_decision == {
        d: expected["by_decision"][d]  # type: ignore[index]
        for d in ("admit", "recheck", "deny", "isolate")
    }
    assert (
        Counter({(g.gate, g.direction, g.kind, g.decision): g.count for g in report.by_gate})
        == expected["by_gate"]
    )
    assert (
        Counter({(h, d): n for h, row in enumerate(report.by_hour) for d, n in row.items() if n})
        == expected["by_hour"]
    )
    assert report.fevers == expected["fevers"] > 0
    assert Counter(report.denial_reasons) == expected["denial_reasons"]
    assert report.denials == report.by_decision["deny"]
    # Isolations include passages joining an open case; only the first opens one.
    assert report.cases.opened == expected["cases_opened"] > 0
    assert report.visitors.visitor_entries == expected["visitor_entries"] == 2
    assert (report.visitors.expected, report.visitors.admitted) == (1, 1)
    assert (report.visitors.requested, report.visitors.approved) == (1, 1)
    sensors = expected["sensors"]
    assert isinstance(sensors, Counter)
    for rate in report.thermometers:
        assert rate.fever_cases == sensors[rate.sensor, "fever"]
        assert rate.below_threshold == sensors[rate.sensor, "below"]
        assert rate.remeasured == rate.fever_cases
    assert sum(t.fever_cases for t in report.thermometers) == sum(
        n for (_sensor, what), n in sensors.items() if what == "fever"
    )
    assert {t.sensor for t in report.thermometers} == {"ir-north", "ir-south"}
    assert any(t.below_threshold for t in report.thermometers)
    assert report.policy_versions == [1]


def test_zero_report_on_an_empty_day(
    engine: Engine, campus: Campus, tmp_path: Path, processor: BatchProcessor
) -> None:
    build_day(engine, campus, processor)
    report = make_report(engine, DAY - timedelta(days=3))
    assert report.zero
    assert report.entries == report.fevers == report.denials == report.cases.opened == 0
    assert report.by_hour == [dict.fromkeys(("admit", "recheck", "deny", "isolate"), 0)] * 24
    for fmt in ("csv", "xlsx", "pdf"):
        path = tmp_path / f"zero.{fmt}"
        write_report(report, path, fmt)  # type: ignore[arg-type]
        assert path.stat().st_size > 0
    assert "Zero report — " in (tmp_path / "zero.csv").read_text(encoding="utf-8-sig")


def test_csv_xlsx_and_pdf(
    engine: Engine, campus: Campus, processor: BatchProcessor, tmp_path: Path
) -> None:
    build_day(engine, campus, processor)
    report = make_report(engine)
    for fmt in ("csv", "xlsx", "pdf"):
        write_report(report, tmp_path / f"day.{fmt}", fmt)  # type: ignore[arg-type]
    with (tmp_path / "day.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0].startswith("Daily report — ")
    assert ["passages", str(report.entries)] in rows
    section = rows.index(["thermometers: false-fever rate"])
    assert rows[section + 1] == [
        "sensor", "fever cases", "re-measured", "below threshold", "false-fever rate"
    ]  # fmt: skip
    workbook = openpyxl.load_workbook(tmp_path / "day.xlsx")
    assert workbook.sheetnames == [
        "summary",
        "gates",
        "by gate and kind",
        "hours",
        "denials",
        "thermometers",
        "cases",
        "check-ins",
        "new cases",
        "follow-up",
    ]
    assert len(workbook["summary"]._images) == 1  # the chart
    gates = list(workbook["gates"].iter_rows(values_only=True))
    assert sum(int(r[-1]) for r in gates[1:]) == report.entries  # type: ignore[arg-type]
    pdf = (tmp_path / "day.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "day.pdf"),
                str(tmp_path / "page"),
            ],
            check=True,
        )
        (png,) = tmp_path.glob("page*.png")
        assert png.stat().st_size > 10_000  # a rendered page, not a blank one


def test_scheduler_produces_each_day_once_at_the_configured_time(
    engine: Engine, campus: Campus, processor: BatchProcessor, tmp_path: Path
) -> None:
    build_day(engine, campus, processor)
    clock = FixedClock(datetime.combine(DAY + timedelta(days=1), time(6, 59), tzinfo=TZ))
    retained: list[datetime] = []
    scheduler = DailyScheduler(
        sessions=lambda: Session(engine, expire_on_commit=False),
        clock=clock,
        site=SITE,
        tz=TZ,
        at=time(7, 0),
        out_dir=tmp_path,
        formats=("csv", "pdf"),
        catch_up_days=2,
        after_reports=[retained.append],
    )
    written = scheduler.run_pending()
    # Before 07:00 the day before yesterday is the latest due (catching up one more);
    # nothing happened on either: zero reports.
    assert [p.name for p in written] == [
        f"main-daily-{DAY - timedelta(days=d)}.{f}" for d in (2, 1) for f in ("csv", "pdf")
    ]
    assert retained == []
    clock.set(datetime.combine(DAY + timedelta(days=1), time(7, 0), tzinfo=TZ))
    written = scheduler.run_pending()
    assert [p.name for p in written] == [f"main-daily-{DAY}.csv", f"main-daily-{DAY}.pdf"]
    assert len(retained) == 1
    assert scheduler.run_pending() == []  # idempotent
    assert len(retained) == 1  # once a day
    clock.set(datetime.combine(DAY + timedelta(days=3), time(8, 0), tzinfo=TZ))
    caught_up = {p.name for p in scheduler.run_pending()}
    assert caught_up == {
        f"main-daily-{DAY + timedelta(days=d)}.{f}" for d in (1, 2) for f in ("csv", "pdf")
    }
    with Session(engine) as session:
        runs = {(r.day, r.format): r.zero for r in session.scalars(select(ReportRunRow))}
    assert runs[str(DAY), "pdf"] is False
    # One passage just after midnight, but no new case: a zero report (零报告, issue 17).
    assert runs[str(DAY + timedelta(days=1)), "pdf"] is True
    assert runs[str(DAY + timedelta(days=2)), "pdf"] is True  # nothing happened that day


def test_cli_daily(
    db_url: str,
    engine: Engine,
    campus: Campus,
    processor: BatchProcessor,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMPUSGATE_TZ", "Asia/Shanghai")
    build_day(engine, campus, processor)
    out = tmp_path / "r.xlsx"
    assert (
        main(
            [
                "report",
                "daily",
                "--date",
                str(DAY),
                "--format",
                "xlsx",
                "--out",
                str(out),
                "--db",
                db_url,
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert f"Daily report for main {DAY}: 82 passage(s)" in text
    assert out.exists()
    empty = tmp_path / "z.csv"
    assert (
        main(
            [
                "report",
                "daily",
                "--date",
                "2026-01-01",
                "--format",
                "csv",
                "--out",
                str(empty),
                "--db",
                db_url,
            ]
        )
        == 0
    )
    assert "Zero report for main 2026-01-01: 0 passage(s)" in capsys.readouterr().out
    assert (
        main(
            [
                "report",
                "schedule",
                "--once",
                "--out-dir",
                str(tmp_path / "auto"),
                "--format",
                "csv",
                "--db",
                db_url,
            ]
        )
        == 0
    )
    assert "written:" in capsys.readouterr().out


def test_pdf_without_a_cjk_font_draws_no_missing_glyphs(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.reports import render

    monkeypatch.setattr(render, "font_family", lambda: ["DejaVu Sans"])
    report = make_report(engine, DAY)  # an empty database: a zero report
    assert report.zero
    render.write_pdf(report, tmp_path / "latin.pdf", "en")  # warnings are errors: no missing glyph
    assert (tmp_path / "latin.pdf").read_bytes().startswith(b"%PDF")
