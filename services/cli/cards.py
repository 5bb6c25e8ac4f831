"""``campusgate code cards``: select, sign, register and lay out ID cards."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from services.cli.common import ProgressBar, actor, now, session_scope
from services.enrolment.cards.model import Card

PARALLEL_FROM = 1000  # cards; below it a process pool costs more than it saves


def _progress(total: int) -> tuple[Callable[[int], None] | None, ProgressBar | None]:
    """A bar on a terminal only: piped or redirected, stderr stays clean."""
    if not sys.stderr.isatty():
        return None, None
    bar = ProgressBar("cards")
    return (lambda done: bar(done, total)), bar


def _write(args: argparse.Namespace, cards: Iterable[Card], count: int,
           progress: Callable[[int], None] | None) -> str:  # fmt: skip
    """Write the PDF (to a temporary file renamed at the end: never half a file) or PNGs."""
    from services.enrolment.cards.pdf import write_pdf
    from services.enrolment.cards.png import write_pngs

    if args.png is not None:
        written = write_pngs(cards, args.png, lang=args.lang, progress=progress)
        return f"{written} PNG card(s) in {args.png}"
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with tmp.open("wb") as handle:
            pages = write_pdf(cards, handle, lang=args.lang, per_page=args.per_page,
                              progress=progress, workers=_workers(args, count))  # fmt: skip
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return f"{pages} page(s) in {out}"


def _workers(args: argparse.Namespace, count: int) -> int:
    """QR-making processes beside this one: worth their start-up only for a big batch."""
    if args.workers is not None:
        return max(0, int(args.workers))
    return max(0, (os.cpu_count() or 1) - 1) if count >= PARALLEL_FROM else 0


def run(args: argparse.Namespace) -> int:
    from kernel.codes import load_signing_key, parse_ttl
    from kernel.localtime import site_zone
    from services.enrolment.cards.service import Selection, issue_cards, select_people, supersede
    from services.storage.audit_log import log_action

    key = load_signing_key(args.keys)
    ttl, at, tz = parse_ttl(args.ttl), now(), site_zone(args.tz)
    selection = Selection(kinds=args.kind, units=args.unit, person_ids=args.person,
                          reissue_from=args.reissue_from)  # fmt: skip
    with session_scope(args) as session:
        people = select_people(session, selection, now=at)
        if not people:
            from kernel.errors import NotFound

            raise NotFound("nobody selected: no active person matches --kind/--unit")
        progress, bar = _progress(len(people))
        site = args.site or os.environ.get("CAMPUSGATE_SITE", "main")
        cards = issue_cards(session, people, key=key, ttl=ttl, now=at, tz=tz, actor=actor(args),
                            site=site)  # fmt: skip
        try:
            where = _write(args, cards, len(people), progress)
        finally:
            if bar is not None:
                bar.close()
        superseded = 0
        if args.reissue_from:
            superseded = supersede(session, kid=args.reissue_from, now=at,
                                   person_ids=[p.person_id for p in people])  # fmt: skip
        log_action(session, at=at, actor=actor(args), action="code.cards", count=len(people),
                   target=",".join(args.unit)[:200],
                   params={"kinds": args.kind, "units": args.unit, "persons": len(args.person),
                           "kid": key.kid, "ttl": args.ttl, "reissue_from": args.reissue_from,
                           "superseded": superseded})  # fmt: skip
    print(f"{len(people)} card(s), signed by {key.kid}: {where}")
    if superseded:
        print(f"{superseded} code(s) of {args.reissue_from} superseded: "
              f"campusgate keys retire --kid {args.reissue_from} now finds none live")  # fmt: skip
    return 0
