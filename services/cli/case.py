"""``campusgate case``: isolation cases from the console, as the clinic works them.

Every action is recorded with ``--by`` (default: your login name) as a clinician:
whoever runs this command has the database in hand, and the timeline says who.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from services.cases.lifecycle import OPENED_BY_HAND
from services.cli.common import Say, add_actor, add_db, say

if TYPE_CHECKING:
    from services.cases.lifecycle import Action

ACTIONS = ("ack", "measure", "observe", "refer", "suspect", "confirm", "release", "return")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("case", help="isolation cases: open, work, release, return")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def verb(name: str, text: str, *, case: bool = True) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text)
        if case:
            sub.add_argument("case_id")
        sub.add_argument("--site", default="main")
        add_db(sub)
        add_actor(sub)
        return sub

    listing = verb("list", "cases still isolating (--all: released ones too)", case=False)
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--flag", choices=["missed_reading", "end_passed"],
                         help="only cases under observation with this follow-up flag")  # fmt: skip
    listing.set_defaults(handler=run_list)
    verb("show", "a case and its timeline").set_defaults(handler=run_show)
    opening = verb("open", "isolate a person by hand, or everyone a list names", case=False)
    who = opening.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="roster person id")
    who.add_argument("--file", type=Path, help="a list: person ids or ID numbers, one a line")
    opening.add_argument("--reason", default="close_contact",
                         choices=[o.value for o in OPENED_BY_HAND])  # fmt: skip
    opening.add_argument("--note", default="")
    opening.add_argument("--dry-run", action="store_true", help="check the list, write nothing")
    opening.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")
    opening.set_defaults(handler=run_open)
    verb("ack", "acknowledge").set_defaults(handler=run_action)
    verb("measure", "record a clinical reading").add_argument("celsius")
    observe = verb("observe", "observation in a room or at home until a planned end")
    observe.add_argument("--until", required=True, help="planned end (date or date-time)")
    observe.add_argument("--from", dest="start", help="start (default: now)")
    observe.add_argument("--room", default="", help="the observation room (else: at home)")
    refer = verb("refer", "referred to a hospital")
    refer.add_argument("--hospital", required=True)
    refer.add_argument("--at", dest="transfer_at", help="transfer time (default: now)")
    for name in ("suspect", "confirm"):
        verb(name, f"{name}ed case (the clinic's word)").add_argument("--note", default="")
    verb("release", "release: the only end of an isolation").add_argument("--reason", required=True)
    back = verb("return", "the return (复学) of a confirmed case's person")
    back.add_argument("--date", required=True, help="the day they return")
    back.add_argument("--certificate", required=True, help="the certificate's reference")
    for name in ACTIONS:
        actions.choices[name].set_defaults(handler=run_action)


def _line(view: object, say: Say) -> str:
    from services.web.api.models import CaseView

    assert isinstance(view, CaseView)
    who = "?" if view.person is None else f"{view.person.id} {view.person.name}"
    flags = say("cli.case.suspended") if view.suspended else ""
    for flag in view.flags:  # under observation: a twice-daily reading missed, the end passed
        flags += say("cli.case.flag", flag=say.word("flag", flag))
        if flag == "missed_reading":
            flags += f"（{', '.join(view.missed_readings)}）"
    if view.observation_until is not None and view.status == "observation":
        flags += say("cli.case.until", until=say.time(view.observation_until))
    return say("cli.case.line", case=view.case_id, status=say.word("status", view.status),
               who=who, opened=say.time(view.opened_at), flags=flags)  # fmt: skip


def _as_of() -> object:
    from kernel.localtime import site_zone
    from services.cases.checkins import DEADLINES
    from services.cli.common import now
    from services.web.clinic.service import AsOf

    return AsOf(now(), site_zone(), DEADLINES)


def run_list(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.web.clinic import store
    from services.web.clinic.service import AsOf, views

    as_of = _as_of()
    assert isinstance(as_of, AsOf)
    with session_scope(args, write=False) as session:
        rows = store.cases(session=session, site=args.site, include_closed=args.all, limit=10_000)
        found = views(session, rows, as_of)
    found = [v for v in found if args.flag is None or args.flag in v.flags]
    words = say(args)
    for view in found:
        print(_line(view, words))
    print(words("cli.case.count", n=len(found)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from services.cases.service import CaseNotFound
    from services.cli.common import session_scope
    from services.web.clinic import store
    from services.web.clinic.service import AsOf, views

    as_of = _as_of()
    assert isinstance(as_of, AsOf)
    with session_scope(args, write=False) as session:
        found = store.case(session=session, site=args.site, case_id=args.case_id)
        if found is None:
            raise CaseNotFound(f"no case {args.case_id}")
        view, timeline = (
            views(session, [found], as_of)[0],
            store.events(session=session, case_id=args.case_id),
        )
    words = say(args)
    print(_line(view, words))
    print(words("cli.case.detail", origin=words.word("origin", view.origin),
                gate=view.gate or "-", note=view.note or "-"))  # fmt: skip
    for event in timeline:
        print(words("cli.case.event", at=words.time(event.at), kind=words.word("event", event.kind),
                    actor=event.actor, detail=event.detail))  # fmt: skip
    return 0


def run_open(args: argparse.Namespace) -> int:
    from services.cases.bulk import isolate_list
    from services.cases.lifecycle import Actor, Origin
    from services.cases.service import open_case
    from services.cases.store import persons
    from services.cli.common import actor, now, session_scope
    from services.identity import IdHasher, load_id_hash_key

    who, origin = Actor(actor(args), "clinic"), Origin(args.reason)
    if args.person:
        with session_scope(args) as session:
            person = persons(session=session, person_ids=[args.person]).get(args.person)
            if person is None:
                from services.cases.service import CaseNotFound

                raise CaseNotFound(f"no person {args.person} in the roster")
            row, new = open_case(session, args.site, person, origin=origin, note=args.note,
                                 actor=who, now=now())  # fmt: skip
        key = "cli.case.opened_for" if new else "cli.case.joined_for"
        print(say(args)(key, case=row.case_id, person=args.person))
        return 0
    hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
    with session_scope(args) as session:
        report = isolate_list(session, args.site, args.file.read_bytes(), hasher=hasher,
                              origin=origin, note=args.note, actor=who, now=now(),
                              dry_run=args.dry_run)  # fmt: skip
    from ui.i18n import say as say_in

    words = say(args)
    for problem in report.problems:
        print(words("cli.case.problem", line=problem.line, value=problem.value,
                    reason=say_in(words.lang, problem.reason)))  # fmt: skip
    written = words("cli.written" if report.written else "cli.nothing_written")
    print(words("cli.case.bulk", rows=report.rows, matched=report.matched,
                problems=report.problem_count, opened=len(report.opened),
                joined=len(report.joined), written=written))  # fmt: skip
    return 0 if report.problem_count == 0 else 1


def _action(args: argparse.Namespace) -> Action:
    from decimal import Decimal, InvalidOperation

    from kernel.errors import ConfigError
    from services.cases import lifecycle as lc
    from services.cli.common import now, parse_when

    match args.action:
        case "ack":
            return lc.Acknowledge()
        case "measure":
            try:
                return lc.Measure(Decimal(args.celsius))
            except InvalidOperation as exc:
                raise ConfigError(f"not a temperature: {args.celsius!r}") from exc
        case "observe":
            start = parse_when(args.start) if args.start else now()
            return lc.Observe(
                "room" if args.room else "home", start, parse_when(args.until, end=True), args.room
            )
        case "refer":
            at = parse_when(args.transfer_at) if args.transfer_at else now()
            return lc.Refer(args.hospital, at)
        case "suspect":
            return lc.Suspect(args.note)
        case "confirm":
            return lc.Confirm(args.note)
        case "release":
            return lc.Release(args.reason)
    return lc.Return(parse_when(args.date).date(), args.certificate)


def run_action(args: argparse.Namespace) -> int:
    from services.cases.lifecycle import Actor
    from services.cases.service import act
    from services.cli.common import actor, now, session_scope

    action = _action(args)
    with session_scope(args) as session:
        row = act(session, args.site, args.case_id, action, actor=Actor(actor(args), "clinic"),
                  now=now())  # fmt: skip
        status = row.status
    print(say(args)("cli.case.now", case=args.case_id, status=say(args).word("status", status)))
    return 0
