"""``campusgate backup``: the database, signing keys and policy in one private archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import add_db


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="back up the database (SQLite online backup or pg_dump), keys and policy",
        description="A consistent copy while the central workers run. The file is mode "
        "0600 and holds everything needed to restore: keep it like the keys themselves.",
    )
    add_db(parser)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="archive to write (a new file), or a folder: a new file named by the time",
    )
    parser.add_argument("--keys", type=Path, help="the code-signing key folder to include")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kernel.redact import redact_url
    from services.backup.service import backup
    from services.cli.common import db_url

    manifest = backup(db_url(args), args.out, keys_dir=args.keys)
    keys = sum(1 for name in manifest["files"] if name.startswith("keys/"))
    print(
        f"backup of {redact_url(db_url(args))} in {manifest['path']}: "
        f"{manifest['entries']} entries, "
        f"chain head {manifest['chain_head']}, schema {manifest['revision']}, "
        f"{keys} key file(s), {len(manifest['files'])} member(s)"
    )
    return 0
