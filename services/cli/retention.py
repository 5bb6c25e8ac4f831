"""``campusgate retention``: purge or anonymise entries older than N days (logged)."""

from __future__ import annotations

import argparse

from services.cli.common import add_actor, add_db, say
from services.cli.loop import add_heartbeat


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("retention", help="retention of personal data in the log")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="purge or anonymise entries received over --days ago (at least 28)",
        description="Seals the entry log first, then purges or anonymises sealed entries "
        "received over --days ago (entries of isolation cases are kept); the hash chain "
        "stays verifiable.",
    )
    run.add_argument("--days", type=int, required=True, help="keep this many days")
    run.add_argument("--mode", choices=["anonymise", "purge"], default="anonymise")
    run.add_argument(
        "--at",
        help="keep running: once a day at this local time (HH:MM), also after a restart "
        "(a day's run is recorded and not repeated)",
    )
    run.add_argument("--tz", help="the campus's time zone for --at (env CAMPUSGATE_TZ)")
    run.add_argument("--poll-s", type=float, default=30.0, help="with --at: how often to look")
    add_heartbeat(run)
    add_db(run)
    add_actor(run)
    run.set_defaults(handler=run_retention)
    runs = actions.add_parser("runs", help="past retention runs")
    add_db(runs)
    runs.set_defaults(handler=run_list)


def run_retention(args: argparse.Namespace) -> int:
    if args.at:
        return run_daily(args)
    from sqlalchemy.orm import Session

    from services.audit.chain import seal_all
    from services.cli.common import actor, db_url, now
    from services.privacy.retention import run_retention as retain
    from services.storage.engine import make_engine, upgrade

    url = db_url(args)
    upgrade(url)
    engine = make_engine(url)
    try:
        seal_all(sessions=lambda: Session(engine), now=now)
        with Session(engine) as session, session.begin():
            result = retain(
                session=session, days=args.days, mode=args.mode, now=now(), actor=actor(args)
            )
    finally:
        engine.dispose()
    words = say(args)
    verb = words("cli.retention.purged" if result.mode == "purge" else "cli.retention.anonymised")
    print(words(
        "cli.retention.done", id=result.run_id, verb=verb, n=result.entries,
        cutoff=words.time(result.cutoff), kept=result.kept_for_cases,
        unsealed=result.not_sealed, exits=result.household_exits,
        rejected=result.rejected_messages, grants=result.grants_anonymised,
    ))  # fmt: skip
    return 0


def run_daily(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from kernel.localtime import site_zone
    from services.cli.common import db_url, now
    from services.cli.loop import run_every
    from services.privacy.schedule import DailyRetention
    from services.reports.scheduler import parse_at
    from services.storage.engine import make_engine, upgrade

    url = db_url(args)
    upgrade(url)
    engine = make_engine(url)
    job = DailyRetention(
        sessions=lambda: Session(engine, expire_on_commit=False),
        now=now,
        tz=site_zone(args.tz),
        at=parse_at(args.at),
        days=args.days,
        mode=args.mode,
    )
    job.due(now())  # fail at start on a bad database, not in the loop
    print(f"retention daily at {args.at} ({job.tz}): {args.mode} after {args.days} days",
          flush=True)  # fmt: skip
    try:
        return run_every(args.poll_s, job.run_pending, what="retention", heartbeat=args.heartbeat)
    finally:
        engine.dispose()


def run_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from services.cli.common import session_scope
    from services.storage.models import RetentionRunRow

    with session_scope(args, write=False) as session:
        rows = session.scalars(select(RetentionRunRow).order_by(RetentionRunRow.id)).all()
        words = say(args)
        for r in rows:
            mode = words(
                "cli.retention.purged" if r.mode == "purge" else "cli.retention.anonymised"
            )
            print(words("cli.retention.run", id=r.id, at=words.time(r.run_at), actor=r.actor,
                        mode=mode, days=r.days, cutoff=words.time(r.cutoff),
                        n=r.entries_affected, detail=r.detail_json))  # fmt: skip
    print(words("cli.retention.count", n=len(rows)))
    return 0
