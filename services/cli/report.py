"""``campusgate report``: the daily report and zero report (日报告/零报告), by hand or scheduled."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import add_db, say
from services.cli.loop import add_heartbeat

FORMATS = ["csv", "xlsx", "pdf"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="daily report and zero report")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    daily = actions.add_parser("daily", help="one day's report as CSV, XLSX or PDF")
    daily.add_argument("--date", help="local day, YYYY-MM-DD (default: yesterday)")
    daily.add_argument("--format", choices=FORMATS, default="pdf")
    daily.add_argument("--out", type=Path, help="file to write (default: var/reports/...)")
    daily.add_argument("--site", default="main")
    daily.add_argument("--tz", help="the campus's time zone (env CAMPUSGATE_TZ)")
    daily.add_argument("--by", default=None, help="who asks (default: your login name)")
    add_db(daily)
    daily.set_defaults(handler=run_daily)

    clinic = actions.add_parser("clinic", help="the clinic's report to send upward (text)")
    clinic.add_argument("--date", help="local day, YYYY-MM-DD (default: yesterday)")
    clinic.add_argument("--site", default="main")
    clinic.add_argument("--tz", help="the campus's time zone (env CAMPUSGATE_TZ)")
    add_db(clinic)
    clinic.set_defaults(handler=run_clinic)

    schedule = actions.add_parser("schedule", help="produce each day's report at a set time")
    schedule.add_argument("--at", default="07:00", help="local time of day (default 07:00)")
    schedule.add_argument("--out-dir", type=Path, default=Path("var/reports"))
    schedule.add_argument(
        "--format", action="append", choices=FORMATS, help="repeatable (default: pdf)"
    )
    schedule.add_argument("--site", default="main")
    schedule.add_argument("--tz", help="the campus's time zone (env CAMPUSGATE_TZ)")
    schedule.add_argument(
        "--retention-days",
        type=int,
        help="also run the retention job daily, keeping this many days",
    )
    schedule.add_argument("--retention-mode", choices=["anonymise", "purge"], default="anonymise")
    schedule.add_argument("--once", action="store_true", help="do what is due, then exit")
    schedule.add_argument("--poll-s", type=float, default=30.0, help="how often to look")
    add_heartbeat(schedule)
    add_db(schedule)
    schedule.set_defaults(handler=run_schedule)


def run_daily(args: argparse.Namespace) -> int:
    from datetime import date, timedelta

    from kernel.localtime import site_zone
    from services.cli.common import actor, now, session_scope
    from services.reports.service import produce_daily, report_path

    tz, words = site_zone(args.tz), say(args)
    current = now()
    day = (
        date.fromisoformat(args.date)
        if args.date
        else current.astimezone(tz).date() - timedelta(days=1)
    )
    path = args.out or report_path(Path("var/reports"), args.site, day, args.format)
    with session_scope(args, write=True) as session:
        report = produce_daily(
            session=session,
            site=args.site,
            day=day,
            tz=tz,
            now=current,
            path=path,
            fmt=args.format,
            actor=actor(args),
            lang=words.lang,
        )
    kind = words("rpt.zero_report" if report.zero else "rpt.daily")
    print(words("cli.report.done", kind=kind, site=args.site, day=day, n=report.entries,
                fevers=report.fevers, denials=report.denials, cases=report.cases.opened,
                anchor=report.chain_anchor))  # fmt: skip
    print(words("cli.report.written", path=path))
    return 0


def run_clinic(args: argparse.Namespace) -> int:
    from datetime import date, timedelta

    from kernel.localtime import site_zone
    from services.cli.common import now, session_scope
    from services.reports.census_render import clinic_report
    from services.reports.daily import daily_report

    tz = site_zone(args.tz)
    current = now()
    day = (
        date.fromisoformat(args.date)
        if args.date
        else current.astimezone(tz).date() - timedelta(days=1)
    )
    with session_scope(args, write=True) as session:
        report = daily_report(session=session, site=args.site, day=day, tz=tz, now=current)
    print(clinic_report(report), end="")  # the office's form: zh-CN whatever --lang says
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from kernel.clock import SystemClock
    from kernel.localtime import site_zone
    from services.cli.common import db_url
    from services.cli.loop import run_every
    from services.reports.scheduler import DailyScheduler, parse_at
    from services.storage.engine import make_engine, upgrade

    url = db_url(args)
    upgrade(url)
    engine = make_engine(url)
    clock = SystemClock()
    scheduler = DailyScheduler(
        sessions=lambda: Session(engine, expire_on_commit=False),
        clock=clock,
        site=args.site,
        tz=site_zone(args.tz),
        at=parse_at(args.at),
        out_dir=args.out_dir,
        formats=args.format or ["pdf"],
    )
    if args.retention_days:
        from services.privacy.retention import run_retention

        def retention(now: object) -> None:
            with Session(engine) as session, session.begin():
                run_retention(
                    session=session,
                    days=args.retention_days,
                    mode=args.retention_mode,
                    now=clock.now(),
                    actor="scheduler",
                )

        scheduler.after_reports.append(retention)
    try:
        if args.once:
            for path in scheduler.run_pending():
                print(say(args)("cli.report.written", path=path))
            return 0
        print(
            f"daily reports for {args.site} at {args.at} ({scheduler.tz}) into {args.out_dir}",
            flush=True,
        )
        run_every(args.poll_s, scheduler.run_pending, what="daily report", heartbeat=args.heartbeat)
    finally:
        engine.dispose()
    return 0
