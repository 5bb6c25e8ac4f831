"""``campusgate keys``: make, list and retire code-signing keys."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("keys", help="code-signing keys (Ed25519)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="make a key pair and make it the active one")
    new.add_argument("--dir", type=Path, default=Path("var/keys"))
    new.set_defaults(handler=run_new)
    listing = actions.add_parser("list", help="list keys; * marks the active one")
    listing.add_argument("--dir", type=Path, default=Path("var/keys"))
    listing.set_defaults(handler=run_list)
    retire = actions.add_parser("retire", help="remove an old key once its codes expired")
    retire.add_argument("--dir", type=Path, default=Path("var/keys"))
    retire.add_argument("--kid", required=True)
    retire.set_defaults(handler=run_retire)


def run_new(args: argparse.Namespace) -> int:
    from kernel.codes import new_key

    key = new_key(args.dir)
    print(key.kid)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from kernel.codes import KeyRing
    from kernel.codes.keys import active_kid

    active = active_kid(args.dir)
    for kid in KeyRing.load(args.dir).kids:
        print(f"{'*' if kid == active else ' '} {kid}")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    from kernel.codes import retire_key

    retire_key(args.dir, args.kid)
    print(f"retired {args.kid}")
    return 0
