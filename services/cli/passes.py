"""``campusgate pass``: temporary passes by category, categories, the household exit quota."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import Say, add_actor, add_db, say


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("pass", help="temporary passes and the household exit quota")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    issue = actions.add_parser("issue", help="issue a temporary pass (prints its code)")
    issue.add_argument("--category", required=True, help="duty, business, medical, or the site's")
    issue.add_argument("--holder", required=True, help="holder's name")
    issue.add_argument("--phone", default="")
    issue.add_argument("--id-number", help="holder's ID number (asked for when omitted)")
    issue.add_argument("--person", help="the holder's roster person id, if they have one")
    issue.add_argument("--unit", default="")
    issue.add_argument("--reason", default="")
    issue.add_argument("--gate", action="append", required=True, help="gate (repeatable) or *")
    issue.add_argument("--from", dest="valid_from", required=True)
    issue.add_argument("--until", dest="valid_until", required=True)
    issue.add_argument("--max-uses", type=int, help="entries allowed (default: the category's)")
    issue.add_argument("--once", action="store_true", help="one-time code")
    issue.add_argument("--site", default="main")
    issue.add_argument("--keys", type=Path, default=Path("var/keys"))
    issue.add_argument("--png", type=Path, help="also write the code as a QR image")
    issue.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")
    add_db(issue)
    add_actor(issue)
    issue.set_defaults(handler=run_issue)

    revoke = actions.add_parser("revoke", help="revoke a pass (its code stops at once)")
    revoke.add_argument("pass_id")
    revoke.add_argument("--reason", required=True)
    add_db(revoke)
    add_actor(revoke)
    revoke.set_defaults(handler=run_revoke)

    listing = actions.add_parser("list", help="passes, newest first")
    listing.add_argument("--category")
    states = ["active", "not_yet", "expired", "used_up", "revoked"]
    listing.add_argument("--state", action="append", choices=states)
    add_db(listing)
    add_actor(listing, role="admin")
    listing.set_defaults(handler=run_list)

    _register_categories(actions)

    quota = actions.add_parser("quota", help="a household against its exit quota")
    quota.add_argument("household")
    quota.add_argument("--gate", help="the gate they would leave by (its zone's quota)")
    quota.add_argument("--site", default="main")
    add_db(quota)
    quota.set_defaults(handler=run_quota)


def _register_categories(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``pass category list|define``: pass categories and their quotas."""
    category = actions.add_parser("category", help="pass categories and their quotas")
    verbs = category.add_subparsers(dest="verb", required=True, metavar="VERB")
    lst = verbs.add_parser("list")
    add_db(lst)
    lst.set_defaults(handler=run_category)
    define = verbs.add_parser("define", help="create or change a category")
    define.add_argument("name")
    define.add_argument("--label", required=True)
    define.add_argument("--max-days", type=int, help="longest validity")
    define.add_argument("--max-active", type=int, help="passes in force at once (the quota)")
    define.add_argument("--default-uses", type=int, help="entries per pass by default")
    define.add_argument("--gate", action="append", help="gates it may open (default: all)")
    add_db(define)
    add_actor(define)
    define.set_defaults(handler=run_category)


def _line(p: object, words: Say) -> str:
    from services.passes import TempPass

    assert isinstance(p, TempPass)
    uses = f"{p.uses}/{p.max_uses}" if p.max_uses is not None else f"{p.uses}/-"
    return words(
        "cli.pass.line", id=p.pass_id, state=words.word("pass.state", p.state),
        category=p.category, holder=p.holder_name, masked=p.masked_id, gates=",".join(p.gates),
        uses=uses, start=words.time(p.valid_from, "minutes"),
        end=words.time(p.valid_until, "minutes"),
    )  # fmt: skip


def run_issue(args: argparse.Namespace) -> int:
    from pydantic import SecretStr, ValidationError

    from kernel.codes import load_signing_key
    from kernel.errors import ConfigError
    from services.cli.appointment import ask_id_number
    from services.cli.common import actor, now, parse_when, session_scope
    from services.grants import write_code_png
    from services.identity import IdHasher, load_id_hash_key
    from services.passes import PassRequest, issue_pass

    hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
    key = load_signing_key(args.keys)
    try:
        request = PassRequest(
            site=args.site, category=args.category, holder_name=args.holder, phone=args.phone,
            id_number=SecretStr(ask_id_number(args.id_number)), person_id=args.person,
            unit=args.unit, reason=args.reason, gates=args.gate,
            valid_from=parse_when(args.valid_from),
            valid_until=parse_when(args.valid_until, end=True),
            max_uses=args.max_uses, once=args.once,
        )  # fmt: skip
    except ValidationError as exc:
        raise ConfigError(f"bad pass: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
    with session_scope(args, write=True) as session:
        issued = issue_pass(session=session, request=request, hasher=hasher, key=key,
                            by=actor(args), now=now())  # fmt: skip
    words = say(args)
    print(_line(issued.temp_pass, words))
    print(issued.code)
    if args.png:
        write_code_png(issued.code, args.png)
        print(words("cli.qr", path=args.png))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.passes import revoke_pass

    with session_scope(args, write=True) as session:
        p = revoke_pass(session=session, pass_id=args.pass_id, by=actor(args), now=now(),
                        reason=args.reason)  # fmt: skip
    print(say(args)("cli.pass.revoked", id=p.pass_id, who=p.revoked_by))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from services.cli.common import now, session_scope
    from services.passes import list_passes

    with session_scope(args, write=False) as session:
        found = list_passes(session=session, now=now(), category=args.category,
                            states=args.state, role=args.role)  # fmt: skip
    words = say(args)
    for p in found:
        print(_line(p, words))
    print(words("cli.pass.count", n=len(found)))
    return 0


def run_category(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.passes import PassCategory, define_category, list_categories

    with session_scope(args, write=args.verb == "define") as session:
        if args.verb == "define":
            define_category(session=session, category=PassCategory(
                name=args.name, label=args.label, max_days=args.max_days,
                max_active=args.max_active, default_uses=args.default_uses,
                gates=args.gate or ["*"],
            ), by=actor(args), now=now())  # fmt: skip
        categories = list_categories(session=session)
    words = say(args)
    for c in categories:
        print(words("cli.pass.category", name=f"{c.name:<10}", label=c.label,
                    days=c.max_days or "-", active=c.max_active or words("cli.unlimited"),
                    uses=c.default_uses or words("cli.unlimited"),
                    gates=",".join(c.gates)))  # fmt: skip
    return 0


def run_quota(args: argparse.Namespace) -> int:
    from services.cli.common import now, session_scope
    from services.passes import household_quota
    from services.policy.store import current_policy

    with session_scope(args, write=False) as session:
        policy = current_policy(session=session, site=args.site)
        status = household_quota(session=session, household=args.household, policy=policy,
                                 now=now(), gate=args.gate)  # fmt: skip
    words = say(args)
    if status.quota is None:
        print(words("cli.quota.none", household=status.household))
        return 0
    q = status.quota
    print(words("cli.quota.line", household=status.household, used=len(status.exits_in_window),
                hours=q.window_hours, exits=q.exits, left=status.remaining))  # fmt: skip
    for e in status.exits_in_window:
        print(words("cli.quota.exit", at=words.time(e.exited_at, "minutes"),
                    person=e.person_id, gate=e.gate))  # fmt: skip
    if status.next_exit_at is not None:
        print(words("cli.quota.next", at=words.time(status.next_exit_at, "minutes")))
    return 0
