"""``campusgate audit``: history, explanations, contact tracing, the audit log, the hash chain.

Every query is logged (who asked, what, when) in the same transaction as the
answer; ``--by`` and ``--role`` say who is asking and whose view of names applies.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kernel.localtime import local_times
from services.cli.common import Say, add_actor, add_db, say
from services.cli.loop import add_heartbeat
from ui.i18n import say as say_in
from ui.records import params_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from services.audit.queries import EntryView

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30


def _span(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", help=f"ISO date/time (default: {DEFAULT_DAYS} days before --until)"
    )
    parser.add_argument("--until", help="ISO date/time, exclusive (default: now)")


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="export to FILE.csv or FILE.xlsx")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("audit", help="who entered, when, why, and who was near them")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    person = actions.add_parser("person", help="passages of a person (or A-/P- id)")
    person.add_argument("person")
    _span(person)
    _out(person)
    add_db(person)
    add_actor(person, role="auditor")
    person.set_defaults(handler=run_person)

    gate = actions.add_parser("gate", help="passages at a gate")
    gate.add_argument("gate")
    gate.add_argument("--site", default="main")
    gate.add_argument(
        "--decision", action="append", choices=["admit", "deny", "recheck", "isolate"]
    )
    _span(gate)
    _out(gate)
    add_db(gate)
    add_actor(gate, role="auditor")
    gate.set_defaults(handler=run_gate)

    explain = actions.add_parser("explain", help="why one passage was decided as it was")
    explain.add_argument("event_id")
    explain.add_argument("--keys", type=Path, help="public keys: re-check the codes' signatures")
    explain.add_argument("--json", action="store_true", help="print JSON")
    add_db(explain)
    add_actor(explain, role="auditor")
    explain.set_defaults(handler=run_explain)

    trace = actions.add_parser("trace", help="contact tracing from the gate logs")
    trace.add_argument("person", help="person id (or A-/P- id) of the case")
    trace.add_argument("--window", default="30m", help="how close in time counts (e.g. 30m)")
    trace.add_argument("--since", help="ISO date/time (default: 14 days before --until)")
    trace.add_argument("--until", help="ISO date/time (default: now)")
    _out(trace)
    add_db(trace)
    add_actor(trace, role="auditor")
    trace.set_defaults(handler=run_trace)

    _register_log_and_chain(actions)


def _register_log_and_chain(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``audit log|seal|verify``: the audit log and the entry log's hash chain."""
    log = actions.add_parser("log", help="the audit log: who asked or changed what, when")
    log.add_argument("--who", help="only this actor")
    log.add_argument("--action", help="only actions starting with this (e.g. audit., roster.)")
    _span(log)
    add_db(log)
    add_actor(log, role="auditor")
    log.set_defaults(handler=run_log)

    seal = actions.add_parser("seal", help="chain the entries not sealed yet; print the head")
    seal.add_argument("--every", help="keep running: seal this often (e.g. 60s, 5m) until SIGTERM")
    add_heartbeat(seal)
    add_db(seal)
    seal.set_defaults(handler=run_seal)

    verify = actions.add_parser("verify", help="check the hash chain over the entry log")
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="a head recorded earlier (e.g. in a daily report)",
    )
    verify.add_argument("--progress", action="store_true")
    add_db(verify)
    add_actor(verify, role="auditor")
    verify.set_defaults(handler=run_verify)


def _window(args: argparse.Namespace, *, days: int = DEFAULT_DAYS) -> tuple[datetime, datetime]:
    from datetime import timedelta

    from services.cli.common import now, parse_when

    until = parse_when(args.until, end=True) if args.until else now()
    since = parse_when(args.since) if args.since else until - timedelta(days=days)
    return since, until


def _print_entries(entries: list[EntryView], words: Say) -> None:
    for e in entries:
        who = e.person_id or e.grant_id or "-"
        celsius = f"{e.celsius}" if e.celsius is not None else "-"
        print(words(
            "cli.audit.entry", at=words.time(e.ts), gate=f"{e.gate:<10}",
            direction=words.word("direction", e.direction),
            decision=words.word("decision", e.decision), celsius=f"{celsius:>5}", who=who,
            name=e.name or "", reasons=words.reasons(e.reasons), event=e.event_id,
        ))  # fmt: skip
    print(words("cli.audit.count", n=len(entries)))


def _export(args: argparse.Namespace, entries: list[EntryView]) -> None:
    from services.audit.export import export_entries
    from services.exports import format_from_path

    if args.out:
        words = say(args)
        count = export_entries(args.out, entries, fmt=format_from_path(args.out),
                               lang=words.lang, tz=words.tz)  # fmt: skip
        print(words("cli.audit.exported", n=count, path=args.out))


def run_person(args: argparse.Namespace) -> int:
    from services.audit.queries import person_history
    from services.cli.common import actor, now, session_scope

    since, until = _window(args)
    with session_scope(args, write=False) as session:
        entries = person_history(
            session=session,
            person_id=args.person,
            since=since,
            until=until,
            actor=actor(args),
            role=args.role,
            now=now(),
        )
    _print_entries(entries, say(args))
    _export(args, entries)
    return 0


def run_gate(args: argparse.Namespace) -> int:
    from services.audit.queries import gate_history
    from services.cli.common import actor, now, session_scope

    since, until = _window(args)
    with session_scope(args, write=False) as session:
        entries = gate_history(
            session=session,
            site=args.site,
            gate=args.gate,
            since=since,
            until=until,
            actor=actor(args),
            role=args.role,
            now=now(),
            decisions=args.decision,
        )
    _print_entries(entries, say(args))
    _export(args, entries)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    import json

    from kernel.codes import KeyRing
    from services.audit.explain import explain
    from services.cli.common import actor, now, session_scope

    keyring = KeyRing.load(args.keys) if args.keys else None
    with session_scope(args, write=False) as session:
        found = explain(
            session=session,
            event_id=args.event_id,
            actor=actor(args),
            role=args.role,
            now=now(),
            keyring=keyring,
        )
    if args.json:
        print(found.model_dump_json(indent=2))
        return 0
    e, words = found.entry, say(args)
    at = e["ts"]
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    shown = words.time(at) if isinstance(at, datetime) else at
    print(words("cli.audit.event", event=found.event_id,
                decision=words.word("decision", e["decision"]), site=e["site"], gate=e["gate"],
                direction=words.word("direction", e["direction"]), at=shown))  # fmt: skip
    print("\n" + words("cli.audit.reasons"))
    for reason in found.reasons:
        print(words("cli.audit.reason", outcome=words.word("decision", reason.outcome),
                    reason=words.reasons([reason.reason]),
                    why=local_times(say_in(words.lang, reason.why), words.tz)))  # fmt: skip

    # The recorded evidence as recorded (its field names and codes), its times local.
    def evidence(value: object) -> str:
        return local_times(json.dumps(value, ensure_ascii=False, default=str), words.tz)

    print("\n" + words("audit.inputs") + ":")
    for key, value in found.inputs.items():
        print(f"  {key}: {evidence(value)}")
    print("  " + words("audit.codes") + ":")
    for code in found.codes:
        print(
            f"    {code.kind} {code.typ or ''} subject={code.subject} key={code.key_id} "
            f"expires={local_times(str(code.expires_at), words.tz)} once={code.once} "
            f"signature/validity then: {code.status_then}"
        )
    print("\n" + words("audit.facts") + ":")
    for key, value in found.facts.items():
        print(f"  {key}: {evidence(value)}")
    print("\n" + words("audit.policy_then") + ": " + evidence(found.policy))
    print(words("audit.answer") + ": " + evidence(found.decision))
    print(words("audit.seal") + ": " + evidence(found.seal))
    return 0


def run_trace(args: argparse.Namespace) -> int:
    from services.audit.export import export_trace
    from services.audit.trace import trace_contacts
    from services.cli.common import actor, now, parse_duration, parse_when, session_scope
    from services.exports import format_from_path

    until = parse_when(args.until, end=True) if args.until else None
    since = parse_when(args.since) if args.since else None
    with session_scope(args, write=False) as session:
        report = trace_contacts(
            session=session,
            person_id=args.person,
            window=parse_duration(args.window),
            actor=actor(args),
            role=args.role,
            now=now(),
            since=since,
            until=until,
        )
    words = say(args)
    print(words("cli.audit.trace", person=report.person_id, name=report.name or "",
                n=len(report.passages), start=words.time(report.since, "minutes"),
                end=words.time(report.until, "minutes"),
                window=f"{report.window_minutes:g}"))  # fmt: skip
    for c in report.contacts:
        print(words(
            "cli.audit.contact", who=c.who, name=c.name or "",
            kind=words.word("kind", c.kind) if c.kind else "?", encounters=c.encounters,
            closest=f"{c.closest_seconds:.0f}", gates=",".join(c.gates),
            first=words.time(c.first, "minutes"), last=words.time(c.last, "minutes"),
        ))  # fmt: skip
    print(words("cli.audit.contacts", n=len(report.contacts)))
    if args.out:
        export_trace(args.out, report, fmt=format_from_path(args.out), lang=words.lang,
                     tz=words.tz)  # fmt: skip
        print(words("cli.audit.exported_to", path=args.out))
    return 0


def run_log(args: argparse.Namespace) -> int:
    from services.audit.queries import read_audit_log
    from services.cli.common import actor, now, session_scope

    since, until = _window(args)
    with session_scope(args, write=False) as session:
        rows = read_audit_log(
            session=session,
            since=since,
            until=until,
            actor=actor(args),
            role=args.role,
            now=now(),
            who=args.who,
            action_prefix=args.action,
        )
    words = say(args)
    for r in rows:
        print(words("cli.audit.record", at=words.time(r.at), actor=r.actor,
                    role=words.word("role", r.role), action=words.word("action", r.action),
                    target=r.target, params=params_text(words.lang, r.params, words.tz),
                    count=r.result_count))  # fmt: skip
    print(words("cli.audit.records", n=len(rows)))
    return 0


def run_seal(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from services.audit.chain import chain_head, seal_all
    from services.cli.common import db_url, now
    from services.storage.engine import make_engine, upgrade

    url = db_url(args)
    upgrade(url)
    engine = make_engine(url)
    if args.every:
        return _seal_every(args, engine)
    try:
        count = seal_all(sessions=lambda: Session(engine), now=now)
        with Session(engine) as session:
            head = chain_head(session=session)
    finally:
        engine.dispose()
    print(f"sealed {count} entr{'y' if count == 1 else 'ies'}; head {head.anchor()}")
    return 0


def _seal_every(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import Session

    from services.audit.chain import seal_all
    from services.cli.common import now, parse_duration
    from services.cli.loop import run_every

    interval = parse_duration(args.every).total_seconds()

    def once() -> None:
        count = seal_all(sessions=lambda: Session(engine), now=now)
        if count:
            log.info("sealed %d entr%s", count, "y" if count == 1 else "ies")

    print(f"sealing the entry log every {args.every}", flush=True)
    try:
        return run_every(interval, once, what="sealing", heartbeat=args.heartbeat)
    finally:
        engine.dispose()


def run_verify(args: argparse.Namespace) -> int:
    from kernel.errors import ConfigError
    from services.audit.chain import verify
    from services.cli.common import ProgressBar, actor, now, session_scope, wants_progress
    from services.storage.audit_log import log_action

    anchors: list[tuple[int, str]] = []
    for text in args.anchor:
        seq, _, digest = text.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ConfigError(f"bad anchor {text!r}: SEQ:HASH as printed in a daily report")
        anchors.append((int(seq), digest))
    bar = ProgressBar("verifying") if wants_progress(args.progress) else None
    with session_scope(args, write=False) as session:
        report = verify(session=session, anchors=anchors, progress=bar, now=now())
        log_action(
            session,
            at=now(),
            actor=actor(args),
            role=args.role,
            action="audit.verify",
            count=len(report.problems),
            params={"chain_rows": report.chain_rows, "anchors": len(anchors)},
        )
    if bar is not None:
        bar.close()
    head = report.head.anchor() if report.head else "-"
    print(
        f"chain: {report.chain_rows} sealed, {report.entries_checked} checked, "
        f"{report.anonymised} anonymised and {report.purged_by_retention} purged by retention, "
        f"{report.unsealed_tail} not sealed yet; head {head}"
    )
    for problem in report.problems:
        if problem.entry_id is None and problem.seq is None:
            print(f"TAMPERED {problem.kind}: {problem.detail}")
            continue
        where = (
            f"entry {problem.entry_id}" if problem.entry_id is not None else f"seq {problem.seq}"
        )
        print(f"TAMPERED {problem.kind}: {where} (event {problem.event_id}): {problem.detail}")
    for warning in report.warnings:
        print(f"warning {warning.kind}: entry {warning.entry_id}: {warning.detail}")
    print("OK: the entry log is intact" if report.ok else f"{len(report.problems)} problem(s)")
    return 0 if report.ok else 1
