"""``campusgate user add|list``: web users and their roles."""

from __future__ import annotations

import argparse
import getpass
import sys

from services.cli.db import DEFAULT_DB, default_db

ROLES = ("admin", "security", "guard", "clinic", "auditor", "approver", "unit_officer")
LANGS = ("zh-CN", "en")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="web users and roles")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a web user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--gates", default="", help="gates of a guard, comma-separated: north-1,north-2"
    )
    add.add_argument("--lang", default="zh-CN", choices=LANGS)
    add.add_argument("--db", default=None, help=f"database URL (default {DEFAULT_DB})")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list web users")
    listing.add_argument("--db", default=None, help=f"database URL (default {DEFAULT_DB})")
    listing.set_defaults(handler=run_list)


def _password(from_stdin: bool) -> str:
    from kernel.errors import ConfigError

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError("the passwords differ")
    if not password:
        raise ConfigError("no password given")
    return password


def run_add(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from kernel.errors import ConfigError
    from services.storage.engine import make_engine, upgrade
    from services.web.auth.roles import Role
    from services.web.auth.service import create_user
    from services.web.errors import WebError

    url = args.db or default_db()
    password = _password(args.password_stdin)
    gates = frozenset(g.strip() for g in args.gates.split(",") if g.strip())
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            user = create_user(
                session=session,
                username=args.username,
                password=password,
                role=Role(args.role),
                gates=gates,
                lang=args.lang,
                now=datetime.now(UTC),
            )
    except WebError as exc:
        raise ConfigError(f"user {args.username!r}: {exc.detail or exc.code}") from exc
    finally:
        engine.dispose()
    from services.cli.common import say

    words = say(args)
    bound = words("cli.user.bound", gates=", ".join(sorted(user.gates))) if user.gates else ""
    print(words("cli.user.added", user=user.username, role=words.word("role", user.role.value),
                bound=bound))  # fmt: skip
    return 0


def run_list(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from services.storage.engine import make_engine
    from services.web.auth.store import list_users

    engine = make_engine(args.db or default_db())
    try:
        with Session(engine) as session:
            users = list_users(session=session)
    finally:
        engine.dispose()
    from services.cli.common import say

    words = say(args)
    for user in users:
        state = "" if user.active else words("cli.user.disabled")
        gates = ",".join(sorted(user.gates)) or "-"
        print(words("cli.user.line", user=f"{user.username:<24}",
                    role=f"{words.word('role', user.role.value):<9}", gates=f"{gates:<24}",
                    lang=user.lang, state=state))  # fmt: skip
    return 0
