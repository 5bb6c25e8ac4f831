"""``campusgate keys``: make, list, retire and export code-signing keys.

Every running process that verifies (central workers, the web service) reloads
the key directory within ``KEYS_RELOAD_S`` of a change, and the gates get the
new set with their next snapshot: no restart.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from services.cli.common import add_actor, add_db, register_in_reach


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("keys", help="code-signing keys (Ed25519)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="make a key pair and make it the active one")
    new.add_argument("--dir", type=Path, default=Path("var/keys"))
    new.add_argument("--export", type=Path, metavar="DIR", help="then export the public keys")
    new.set_defaults(handler=run_new)
    listing = actions.add_parser("list", help="list keys; * marks the active one")
    listing.add_argument("--dir", type=Path, default=Path("var/keys"))
    listing.set_defaults(handler=run_list)
    retire = actions.add_parser(
        "retire", help="retire an old key: at once, or at a time (--at/--in) its codes stop"
    )
    retire.add_argument("--dir", type=Path, default=Path("var/keys"))
    retire.add_argument("--kid", required=True)
    when = retire.add_mutually_exclusive_group()
    when.add_argument("--at", help="ISO time it stops verifying, e.g. 2026-12-31T00:00+08:00")
    when.add_argument("--in", dest="after", help="or after this long: 30m, 12h, 7d")
    retire.add_argument("--export", type=Path, metavar="DIR", help="then export the public keys")
    retire.add_argument(
        "--force",
        action="store_true",
        help="retire though live codes were "
        "signed by it: it verifies until the last of them expires (grace)",
    )
    retire.add_argument(
        "--no-grace",
        action="store_true",
        help="with --force: cut its live codes now (a leaked key)",
    )
    add_db(retire)
    add_actor(retire)
    retire.set_defaults(handler=run_retire)
    export = actions.add_parser(
        "export", help="copy the public keys in force to a gate's site_keys_dir"
    )
    export.add_argument("--dir", type=Path, default=Path("var/keys"))
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(handler=run_export)


def run_new(args: argparse.Namespace) -> int:
    from kernel.codes import new_key
    from kernel.codes.keys import key_set_version

    key = new_key(args.dir)
    print(key.kid)  # alone on stdout: scripts read it
    print(f"key set version {key_set_version(args.dir)}: in force everywhere within seconds",
          file=sys.stderr)  # fmt: skip
    _export(args)
    return 0


def _export(args: argparse.Namespace) -> None:
    """``--export DIR``: the public keys in force, for gates' site_keys_dir."""
    if args.export is not None:
        from kernel.codes.keys import export_public_keys

        kids = export_public_keys(args.dir, args.export)
        print(f"public keys {', '.join(kids)} in {args.export}", file=sys.stderr)


def run_list(args: argparse.Namespace) -> int:
    from datetime import UTC

    from kernel.codes import KeyRing
    from kernel.codes.keys import active_kid
    from services.cli.common import say

    active = active_kid(args.dir)
    ring = KeyRing.load(args.dir)
    now, words = datetime.now(UTC), say(args)
    print(words("cli.keys.version", version=ring.version))
    for kid in ring.kids:
        retires = ring.retires_at(kid)
        note = ""
        if retires is not None:
            key = "cli.keys.retired_at" if retires <= now else "cli.keys.retires_at"
            note = words(key, at=words.time(retires))
        print(f"{'*' if kid == active else ' '} {kid}{note}")
    for kid in sorted(ring.retired):
        print(words("cli.keys.gone", kid=kid))
    return 0


def _retire_time(args: argparse.Namespace) -> datetime | None:
    from datetime import UTC

    from kernel.codes import parse_ttl
    from kernel.errors import ConfigError

    if args.after:
        return datetime.now(UTC) + parse_ttl(args.after)
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise ConfigError(f"bad --at {args.at!r}") from exc
        if at.tzinfo is None:
            raise ConfigError("--at needs a time zone, e.g. 2026-12-31T00:00+08:00")
        return at
    return None


def run_retire(args: argparse.Namespace) -> int:
    """Asks the register of issued codes first: refuses to cut live codes without --force."""
    from datetime import UTC

    from kernel.errors import ConfigError
    from services.cli.common import actor, say, session_scope
    from services.enrolment.retire import retire

    if args.no_grace and not args.force:
        raise ConfigError("--no-grace goes with --force")
    if not args.force:
        register_in_reach(args, "keys retire counts the key's live codes")
    at = _retire_time(args)
    with session_scope(args) as session:
        done = retire(session, directory=args.dir, kid=args.kid, now=datetime.now(UTC),
                      actor=actor(args), at=at, force=args.force,
                      no_grace=args.no_grace)  # fmt: skip
    words = say(args)
    if done.grace:
        print(words("cli.keys.grace", kid=args.kid, n=done.live.count,
                    at=words.time(done.at)))  # fmt: skip
    elif done.at is None:
        forced = words("cli.keys.forced", n=done.live.count) if done.forced else ""
        print(words("cli.keys.now", kid=args.kid, forced=forced))
    else:
        print(words("cli.keys.later", kid=args.kid, at=words.time(done.at)))
    _export(args)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from kernel.codes.keys import export_public_keys
    from services.cli.common import say

    kids = export_public_keys(args.dir, args.out)
    print(say(args)("cli.keys.exported", n=len(kids), path=args.out, kids=", ".join(kids)))
    return 0
