"""``campusgate db upgrade``: migrate a database to the newest schema."""

from __future__ import annotations

import argparse
import os

DEFAULT_DB = "sqlite:///var/campusgate.db"


def default_db() -> str:
    return os.environ.get("CAMPUSGATE_DB__URL", DEFAULT_DB)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply all migrations")
    upgrade.add_argument("--db", default=None, help=f"database URL (default {DEFAULT_DB})")
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from services.storage.engine import upgrade

    url = args.db or default_db()
    upgrade(url)
    print("database is at the newest schema")
    return 0
