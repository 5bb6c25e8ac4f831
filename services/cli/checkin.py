"""``campusgate checkin``: the daily check-in (晨午检) from the console: record, sheet, missing."""

from __future__ import annotations

import argparse

from services.cli.common import add_actor, add_db, say


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "checkin", help="daily check-ins: record, a unit's sheet, missing"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    rec = actions.add_parser("record", help="one report (over the threshold or symptoms: a case)")
    rec.add_argument("--person", required=True)
    rec.add_argument("--slot", required=True, choices=["morning", "noon"])
    rec.add_argument("--celsius", required=True)
    rec.add_argument("--symptom", action="append", default=[], help="a symptom code (repeatable)")
    rec.set_defaults(handler=run_record)
    sheet = actions.add_parser("sheet", help="a unit's morning and noon reports of a day")
    sheet.add_argument("--unit", required=True)
    sheet.set_defaults(handler=run_sheet)
    missing = actions.add_parser("missing", help="who has not reported, per unit")
    missing.add_argument("--slot", required=True, choices=["morning", "noon"])
    missing.add_argument("--deadline", help="HH:MM (default: morning 10:00, noon 14:30)")
    missing.set_defaults(handler=run_missing)
    for sub in (rec, sheet, missing):
        sub.add_argument("--site", default="main")
        sub.add_argument("--date", help="the day (default: today, site time)")
        add_db(sub)
        add_actor(sub)


def _day(args: argparse.Namespace) -> object:
    from kernel.localtime import site_zone
    from services.cli.common import now, parse_when

    return parse_when(args.date).date() if args.date else now().astimezone(site_zone()).date()


def run_record(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from kernel.errors import ConfigError
    from kernel.localtime import site_zone
    from services.cases.checkins import record_checkin
    from services.cli.common import actor, now, session_scope

    try:
        celsius = Decimal(args.celsius)
    except InvalidOperation as exc:
        raise ConfigError(f"not a temperature: {args.celsius!r}") from exc
    try:
        with session_scope(args) as session:
            done = record_checkin(session, args.person, args.slot, celsius, args.symptom,
                                  by=actor(args), site=args.site, now=now(),
                                  zone=site_zone())  # fmt: skip
    except ValueError as exc:  # an unknown slot or symptom code
        raise ConfigError(str(exc)) from exc
    words = say(args)
    case = ""
    if done.case_id:
        key = "cli.checkin.case_opened" if done.new_case else "cli.checkin.case_joined"
        case = words(key, case=done.case_id)
    print(words("cli.checkin.recorded", person=done.person_id, day=done.day,
                slot=words.word("slot", done.slot.value), celsius=done.celsius,
                case=case))  # fmt: skip
    return 0


def run_sheet(args: argparse.Namespace) -> int:
    from datetime import date

    from services.cases.checkins import sheet
    from services.cli.common import session_scope

    day = _day(args)
    assert isinstance(day, date)
    with session_scope(args, write=False) as session:
        rows = sheet(session, args.site, unit=args.unit, day=day)
    words = say(args)
    for row in rows:
        cells = [
            " ".join([str(r.celsius), *(words.word("symptom", x) for x in r.symptoms)])
            if r
            else "-"
            for r in (row.morning, row.noon)
        ]
        print(words("cli.checkin.row", person=row.person_id, name=row.name, morning=cells[0],
                    noon=cells[1]))  # fmt: skip
    print(words("cli.checkin.count", n=len(rows), unit=args.unit, day=day))
    return 0


def run_missing(args: argparse.Namespace) -> int:
    from datetime import date, time

    from kernel.errors import ConfigError
    from kernel.localtime import site_zone
    from services.cases.checkins import DEADLINES, missing, overdue
    from services.cli.common import now, session_scope

    day = _day(args)
    assert isinstance(day, date)
    deadlines = dict(DEADLINES)
    if args.deadline:
        try:
            deadlines[args.slot] = time.fromisoformat(args.deadline)
        except ValueError as exc:
            raise ConfigError(f"bad deadline {args.deadline!r} (HH:MM)") from exc
    with session_scope(args, write=False) as session:
        found = missing(session, args.site, day=day, slot=args.slot)
    late = overdue(day, args.slot, now=now(), zone=site_zone(), deadlines=deadlines)
    words = say(args)
    for unit, people in found.items():
        print(words("cli.checkin.unit", unit=unit, n=len(people),
                    people=words("list.sep").join(p.person_id for p in people)))  # fmt: skip
    state = (
        words("cli.checkin.overdue")
        if late
        else words("cli.checkin.due", time=deadlines[args.slot].strftime("%H:%M"))
    )
    print(words("cli.checkin.missing", n=sum(len(p) for p in found.values()),
                slot=words.word("slot", args.slot), day=day, state=state))  # fmt: skip
    return 0
