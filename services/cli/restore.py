"""``campusgate restore``: a backup into a new, empty database (and keys into a new folder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import add_db


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="restore a `campusgate backup` archive into a new, empty database",
        description="Checks every member against the archive's manifest first. Then run "
        "`campusgate audit verify` on the restored database.",
    )
    parser.add_argument("archive", type=Path, metavar="FILE")
    add_db(parser)
    parser.add_argument("--keys", type=Path, help="new folder for the archive's signing keys")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kernel.redact import redact_url
    from services.backup.service import restore
    from services.cli.common import db_url

    manifest = restore(args.archive, db_url(args), keys_dir=args.keys)
    print(
        f"restored {args.archive} ({manifest['created_at']}) into {redact_url(db_url(args))}: "
        f"at least {manifest['entries']} entries, chain head then {manifest['chain_head']}"
    )
    print("now: campusgate audit verify --db ... (the chain must verify)")
    return 0
