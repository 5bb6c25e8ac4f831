"""``campusgate code``: issue one code, print cards for many, write enrolment letters.

Every code issued goes into the register of issued codes (``--db``), so a key's
live codes can be counted before it is retired.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import add_actor, add_db


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("code", help="signed ID, health, visitor and pass codes")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = actions.add_parser("issue", help="issue a code with the active key")
    issue.add_argument("--keys", type=Path, default=Path("var/keys"))
    issue.add_argument(
        "--site", default=None, help="the site the code is for (env CAMPUSGATE_SITE, default main)"
    )
    issue.add_argument("--person", required=True)
    issue.add_argument("--type", required=True, choices=["id", "health", "visitor", "pass"])
    issue.add_argument("--health", choices=["green", "yellow", "red"])
    issue.add_argument("--negative-test", help="ISO time of the last negative test")
    issue.add_argument("--risk", action="store_true", help="travelled through a risk area")
    issue.add_argument("--ttl", help="lifetime: 30s, 10m, 12h, 30d")
    issue.add_argument("--once", action="store_true", help="one-time code")
    issue.add_argument("--png", type=Path, help="also write the code as a QR image")
    add_db(issue)
    add_actor(issue)
    issue.set_defaults(handler=run_issue)
    _register_cards(actions)
    links = actions.add_parser(
        "enrol-links", help="one-time enrolment links for the my-code page, as letters (PDF)",
        description="A letter per active person selected with a one-time link (and its QR) "
        "to /me/enrol/...: they open it on their phone, set a PIN and see their code. "
        "Only a hash of each link is stored; a new link replaces the person's unused ones.",
    )  # fmt: skip
    links.add_argument("--out", type=Path, required=True, help="the letters, a PDF")
    links.add_argument("--unit", action="append", default=[], help="only this unit (repeatable)")
    links.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    links.add_argument("--person", action="extend", nargs="+", default=[], metavar="ID")
    links.add_argument("--base-url", default=None, help="the web service as people reach it "
                       "(env CAMPUSGATE_PUBLIC_URL, default http://localhost:8080)")  # fmt: skip
    links.add_argument("--ttl", default="14d", help="how long a link works (default 14d)")
    links.add_argument("--tz", help="time zone of the printed dates (env CAMPUSGATE_TZ)")
    add_db(links)
    add_actor(links)
    links.set_defaults(handler=run_enrol_links)


def _register_cards(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cards = actions.add_parser(
        "cards", help="print ID cards: one signed ID code per active person selected",
        description="A4 pages of cards (85.6 x 54 mm, crop marks), or one PNG per person. "
        "Every code is recorded in the register of issued codes.",
    )  # fmt: skip
    out = cards.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", type=Path, help="the PDF to write")
    out.add_argument("--png", type=Path, metavar="DIR", help="one PNG card per person instead")
    cards.add_argument("--keys", type=Path, default=Path("var/keys"))
    cards.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    cards.add_argument("--unit", action="append", default=[], help="only this unit (repeatable)")
    cards.add_argument("--person", action="extend", nargs="+", default=[], metavar="ID",
                       help="only these people")  # fmt: skip
    cards.add_argument("--reissue-from", metavar="KID", help="exactly the people holding "
                       "a live ID code signed by this key")  # fmt: skip
    cards.add_argument("--ttl", default="365d", help="validity (default 365d; never beyond the "
                       "person's roster validity)")  # fmt: skip
    cards.add_argument("--lang", choices=["zh", "en"], default="zh")
    cards.add_argument("--per-page", type=int, choices=[8, 10], default=10)
    cards.add_argument("--workers", type=int, metavar="N", help="processes making QR "
                       "symbols beside the layout (default: cores - 1 from 1,000 on)")  # fmt: skip
    cards.add_argument("--site", default=None, help="env CAMPUSGATE_SITE, default main")
    cards.add_argument("--tz", help="time zone of the printed dates (env CAMPUSGATE_TZ)")
    add_db(cards)
    add_actor(cards)
    cards.set_defaults(handler=run_cards)


def run_cards(args: argparse.Namespace) -> int:
    from services.cli.cards import run

    return run(args)


def run_issue(args: argparse.Namespace) -> int:
    import os
    from datetime import UTC, datetime

    from kernel.codes import DEFAULT_TTL, issue, load_signing_key, parse_ttl
    from kernel.errors import ConfigError
    from services.cli.common import actor, register_in_reach, session_scope
    from services.storage.issued_codes import record

    register_in_reach(args, "code issue records the code")
    negative_test = None
    if args.negative_test:
        try:
            negative_test = datetime.fromisoformat(args.negative_test)
        except ValueError as exc:
            raise ConfigError(f"bad --negative-test {args.negative_test!r}") from exc
        if negative_test.tzinfo is None:
            raise ConfigError("--negative-test needs a time zone, e.g. 2026-11-24T08:00Z")
    ttl = parse_ttl(args.ttl) if args.ttl else DEFAULT_TTL[args.type]
    issued = issue(
        load_signing_key(args.keys),
        subject=args.person,
        typ=args.type,
        ttl=ttl,
        now=datetime.now(UTC),
        site=args.site or os.environ.get("CAMPUSGATE_SITE", "main"),
        once=args.once,
        health=args.health,
        negative_test=negative_test,
        risk=args.risk if args.type == "health" else None,
    )
    with session_scope(args) as session:
        record(session, [issued], issued_by=actor(args))
    code = issued.code
    print(code)
    if args.png:
        import segno

        segno.make(code, error="m", micro=False).save(str(args.png), scale=6, border=4)
    return 0


def run_enrol_links(args: argparse.Namespace) -> int:
    import os

    from kernel.codes import parse_ttl
    from kernel.errors import NotFound
    from kernel.localtime import site_zone
    from services.cli.common import actor, now, session_scope
    from services.enrolment.cards.service import Selection, select_people
    from services.enrolment.letters import write_letters
    from services.enrolment.links import make_links
    from services.storage.audit_log import log_action

    base_url = args.base_url or os.environ.get("CAMPUSGATE_PUBLIC_URL", "http://localhost:8080")
    at, ttl = now(), parse_ttl(args.ttl)
    selection = Selection(kinds=args.kind, units=args.unit, person_ids=args.person)
    with session_scope(args) as session:
        people = select_people(session, selection, now=at)
        if not people:
            raise NotFound("nobody selected: no active person matches --kind/--unit")
        links = make_links(session, people, now=at, ttl=ttl)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        try:
            with tmp.open("wb") as handle:
                write_letters(links, handle, base_url=base_url, tz=site_zone(args.tz))
            tmp.replace(args.out)
        finally:
            tmp.unlink(missing_ok=True)
        log_action(session, at=at, actor=actor(args), action="me.links", count=len(links),
                   target=",".join(args.unit)[:200],
                   params={"units": args.unit, "kinds": args.kind, "ttl": args.ttl})  # fmt: skip
    print(f"{len(links)} enrolment letter(s) in {args.out}; links valid for {args.ttl}")
    return 0
