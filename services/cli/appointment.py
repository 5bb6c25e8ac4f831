"""``campusgate appointment``: visitor appointments, decided by the host unit's approver."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import Say, add_actor, add_db, print_fields, say


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("appointment", help="visitor appointments (host approval)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    req = actions.add_parser("request", help="request a visit (prints the appointment id)")
    req.add_argument("--visitor", required=True, help="visitor's name")
    req.add_argument("--phone", default="")
    req.add_argument("--id-number", help="visitor's ID number (asked for when omitted)")
    req.add_argument("--unit", required=True, help="host unit")
    req.add_argument("--purpose", default="")
    req.add_argument("--gate", action="append", required=True, help="gate (repeatable) or *")
    req.add_argument("--from", dest="valid_from", required=True, help="ISO time or date")
    req.add_argument("--until", dest="valid_until", required=True, help="ISO time or date")
    req.add_argument("--once", action="store_true", help="one-time visitor code")
    req.add_argument("--site", default="main")
    req.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")
    add_db(req)
    add_actor(req)
    req.set_defaults(handler=run_request)

    appr = actions.add_parser("approve", help="approve and issue the visitor code")
    appr.add_argument("appointment")
    appr.add_argument("--keys", type=Path, default=Path("var/keys"), help="signing key directory")
    appr.add_argument("--note", default="")
    appr.add_argument("--png", type=Path, help="also write the code as a QR image")
    add_db(appr)
    add_actor(appr)
    appr.set_defaults(handler=run_approve)

    for name, text in (("refuse", "refuse a request"), ("cancel", "cancel a request or visit")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("appointment")
        sub.add_argument("--reason", required=True)
        add_db(sub)
        add_actor(sub)
        sub.set_defaults(handler=run_refuse if name == "refuse" else run_cancel)

    listing = actions.add_parser("list", help="appointments, newest first")
    listing.add_argument("--status", action="append",
                         choices=["requested", "approved", "refused", "cancelled"])  # fmt: skip
    listing.add_argument("--unit")
    listing.add_argument("--day", help="those whose window touches this local day")
    add_db(listing)
    add_actor(listing, role="admin")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one appointment")
    show.add_argument("appointment")
    add_db(show)
    add_actor(show, role="admin")
    show.set_defaults(handler=run_show)

    _register_approvers(actions)


def _register_approvers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``appointment approver add|remove|list``: who approves for a host unit."""
    approver = actions.add_parser("approver", help="who approves for a host unit")
    verbs = approver.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in ("add", "remove"):
        sub = verbs.add_parser(verb)
        sub.add_argument("--unit", required=True)
        sub.add_argument("--approver", required=True)
        add_db(sub)
        add_actor(sub)
        sub.set_defaults(handler=run_approver)
    lst = verbs.add_parser("list")
    lst.add_argument("--unit")
    add_db(lst)
    lst.set_defaults(handler=run_approver)


def ask_id_number(given: str | None) -> str:
    """The ID number from the option, else asked without echo (it stays out of shell history)."""
    import getpass
    import sys

    if given:
        return given
    if sys.stdin.isatty():
        return getpass.getpass("visitor's ID number: ")
    return sys.stdin.readline().strip()


def _line(appointment: object, words: Say) -> str:
    from services.appointments import Appointment

    assert isinstance(appointment, Appointment)
    a = appointment
    decided = words("cli.appt.decided", who=a.decided_by) if a.decided_by else ""
    return words(
        "cli.appt.line", id=a.appointment_id, status=words.word("appt.status", a.status),
        visitor=a.visitor_name, masked=a.masked_id, phone=a.phone or "-", unit=a.host_unit,
        gates=",".join(a.gates), start=words.time(a.valid_from, "minutes"),
        end=words.time(a.valid_until, "minutes"), decided=decided,
    )  # fmt: skip


def run_request(args: argparse.Namespace) -> int:
    from pydantic import SecretStr, ValidationError

    from kernel.errors import ConfigError
    from services.appointments import AppointmentRequest, request_appointment
    from services.cli.common import actor, now, parse_when, session_scope
    from services.identity import IdHasher, load_id_hash_key

    hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
    try:
        request = AppointmentRequest(
            site=args.site, visitor_name=args.visitor, phone=args.phone,
            id_number=SecretStr(ask_id_number(args.id_number)), host_unit=args.unit,
            purpose=args.purpose, gates=args.gate, valid_from=parse_when(args.valid_from),
            valid_until=parse_when(args.valid_until, end=True), once=args.once,
        )  # fmt: skip
    except ValidationError as exc:
        raise ConfigError(
            f"bad request: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc
    with session_scope(args, write=True) as session:
        made = request_appointment(session=session, request=request, hasher=hasher,
                                   by=actor(args), now=now())  # fmt: skip
    print(say(args)("cli.appt.requested", id=made.appointment_id, unit=made.host_unit))
    return 0


def run_approve(args: argparse.Namespace) -> int:
    from kernel.codes import load_signing_key
    from services.appointments import approve
    from services.cli.common import actor, now, session_scope
    from services.grants import write_code_png

    key = load_signing_key(args.keys)
    with session_scope(args, write=True) as session:
        approval = approve(session=session, appointment_id=args.appointment, by=actor(args),
                           now=now(), key=key, note=args.note)  # fmt: skip
    a, words = approval.appointment, say(args)
    print(words("cli.appt.approved", id=a.appointment_id, who=a.decided_by,
                until=words.time(a.code_expires_at),
                once=words("cli.appt.once") if a.once else ""))  # fmt: skip
    print(approval.code)
    if args.png:
        write_code_png(approval.code, args.png)
        print(words("cli.qr", path=args.png))
    return 0


def run_refuse(args: argparse.Namespace) -> int:
    from services.appointments import refuse
    from services.cli.common import actor, now, session_scope

    with session_scope(args, write=True) as session:
        a = refuse(session=session, appointment_id=args.appointment, by=actor(args), now=now(),
                   reason=args.reason)  # fmt: skip
    print(say(args)("cli.appt.refused", id=a.appointment_id, who=a.decided_by,
                    note=a.decision_note))  # fmt: skip
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    from services.appointments import cancel
    from services.cli.common import actor, now, session_scope

    with session_scope(args, write=True) as session:
        a = cancel(session=session, appointment_id=args.appointment, by=actor(args), now=now(),
                   reason=args.reason)  # fmt: skip
    print(say(args)("cli.appt.cancelled", id=a.appointment_id, note=a.decision_note))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from datetime import date

    from services.appointments import list_appointments
    from services.cli.common import session_scope

    day = date.fromisoformat(args.day) if args.day else None
    with session_scope(args, write=False) as session:
        found = list_appointments(session=session, status=args.status, unit=args.unit, day=day,
                                  role=args.role)  # fmt: skip
    words = say(args)
    for appointment in found:
        print(_line(appointment, words))
    print(words("cli.appt.count", n=len(found)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from services.appointments import get_appointment
    from services.cli.common import session_scope

    with session_scope(args, write=False) as session:
        a = get_appointment(session=session, appointment_id=args.appointment, role=args.role)
    print_fields(a.model_dump(), say(args))
    return 0


def run_approver(args: argparse.Namespace) -> int:
    from services.appointments import add_approver, approvers, remove_approver
    from services.cli.common import actor, now, session_scope

    with session_scope(args, write=args.verb != "list") as session:
        if args.verb == "add":
            add_approver(session=session, unit=args.unit, approver=args.approver,
                         by=actor(args), now=now())  # fmt: skip
        elif args.verb == "remove":
            remove_approver(session=session, unit=args.unit, approver=args.approver,
                            by=actor(args), now=now())  # fmt: skip
        pairs = approvers(session=session, unit=getattr(args, "unit", None))
    for unit, approver in pairs:
        print(f"{unit}: {approver}")
    return 0
