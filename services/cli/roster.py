"""``campusgate roster import FILE.csv``: upsert the whitelist, report bad rows by line."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("roster", help="whitelist of people")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="import a roster CSV (upsert by person_id)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--db", default=None, help="database URL")
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is bad")
    imp.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")
    imp.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from services.cli.db import default_db
    from services.errors import RosterError
    from services.identity import IdHasher, load_id_hash_key
    from services.roster import import_roster
    from services.storage.engine import make_engine, upgrade

    hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
    url = args.db or default_db()
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read {args.file}: {exc}") from exc
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            report = import_roster(text.splitlines(), session=session, hasher=hasher,
                                   strict=args.strict)  # fmt: skip
    finally:
        engine.dispose()
    for line, reason in report.errors:
        print(f"line {line}: {reason}")
    if args.strict and report.errors:
        print(f"nothing imported: {len(report.errors)} bad row(s) (--strict)")
        return 1
    print(f"imported: {report.inserted} new, {report.updated} updated, "
          f"{len(report.errors)} rejected")  # fmt: skip
    return 1 if report.errors else 0
