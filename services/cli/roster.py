"""``campusgate roster``: import (CSV/XLSX, dry run, sync, photos), export, return approval,
show, and one person at a time (``roster person add|edit|deactivate|reactivate``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import add_actor, add_db, print_fields, say


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("roster", help="whitelist of people (白名单)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    _register_import(actions)
    _register_others(actions)

    from services.cli.roster_person import register_person

    register_person(actions)


def _register_import(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = actions.add_parser(
        "import",
        help="import a roster CSV or XLSX (upsert by person id)",
        description="Headers in English (person_id,name,kind,id_number,unit,household,"
        "valid_from,valid_until,gates,return_approved) or Chinese (学号/工号, 姓名, 类别, "
        "身份证号, 学院/单位, 户号, 有效期起止 or 有效期起/有效期止, 可通行校门, 返校审批). "
        "Bad rows are reported by line, column and reason; the good ones import.",
    )
    imp.add_argument("file", type=Path)
    add_db(imp)
    add_actor(imp)
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is bad")
    imp.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    imp.add_argument("--sync", action="store_true",
                     help="deactivate active people the file does not name")  # fmt: skip
    imp.add_argument("--sync-kind", action="append", metavar="KIND",
                     help="with --sync: deactivate only people of this kind")  # fmt: skip
    imp.add_argument(
        "--force",
        action="store_true",
        help="with --sync: deactivate even more than 10%% of the active roster",
    )
    imp.add_argument(
        "--photos",
        type=Path,
        metavar="ZIP",
        help="photos named by person id (S00001.jpg), JPEG or PNG <= 5 MB each",
    )
    imp.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    imp.add_argument("--progress", action="store_true",
                     help="show progress on stderr even when it is not a terminal")  # fmt: skip
    imp.add_argument("--tz", help="time zone of the dates in the file (env CAMPUSGATE_TZ)")
    imp.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")
    imp.set_defaults(handler=run_import)


def _register_others(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:

    export = actions.add_parser("export", help="export the roster (ID numbers masked)")
    export.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.xlsx")
    add_db(export)
    add_actor(export, role="admin")
    export.add_argument("--lang", choices=["en", "zh"], default=None,
                        help="header language (default: env CAMPUSGATE_LANG, zh)")  # fmt: skip
    export.add_argument("--kind", action="append", help="only this kind (repeatable)")
    export.add_argument("--active", action="store_true", help="only active people")
    export.set_defaults(handler=run_export)

    ret = actions.add_parser("return", help="students' return approval (返校审批)")
    ret.add_argument("person")
    decision = ret.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--revoke", action="store_true")
    ret.add_argument("--note", default="", help="why (kept in the audit log)")
    add_db(ret)
    add_actor(ret)
    ret.set_defaults(handler=run_return)

    show = actions.add_parser("show", help="one person as the roster has them")
    show.add_argument("person")
    add_db(show)
    add_actor(show, role="admin")
    show.set_defaults(handler=run_show)


def run_import(args: argparse.Namespace) -> int:
    from kernel.localtime import site_zone
    from services.cli.common import ProgressBar, actor, session_scope, wants_progress
    from services.identity import IdHasher, load_id_hash_key
    from services.roster import import_file
    from services.roster.photo_zip import PhotoSource

    hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
    # Read and checked whole before the database is touched; row paths from the file's folder.
    photos = PhotoSource.open(zip_path=args.photos, folder=args.file.parent)
    bar = ProgressBar(f"importing {args.file.name}") if wants_progress(args.progress) else None
    with session_scope(args, write=True) as session:
        try:
            report = import_file(
                args.file, session=session, hasher=hasher, sheet_name=args.sheet,
                tz=site_zone(args.tz), actor=actor(args), strict=args.strict,
                dry_run=args.dry_run, sync=args.sync, sync_kinds=args.sync_kind, progress=bar,
                force=args.force, photos=photos,
            )  # fmt: skip
        finally:
            if bar is not None:
                bar.close()
    from ui.i18n import say as say_in

    words = say(args)
    for error in report.errors:
        print(error.text(words.lang))
    for warning in report.warnings:
        print(words("imp.warning", text=say_in(words.lang, warning)))
    if args.strict and report.errors:
        print(words("imp.strict", bad=len(report.bad_lines)))
        return 1
    print(report.summary(words.lang) + (words("imp.dry_run") if args.dry_run else ""))
    if report.photos:
        print(words("imp.photos", n=report.photos))
    return 1 if report.errors else 0


def run_export(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.exports import format_from_path
    from services.roster import export_roster

    with session_scope(args, write=False) as session:
        count = export_roster(
            args.out, session=session, fmt=format_from_path(args.out), role=args.role,
            lang=say(args).lang, kinds=args.kind, active_only=args.active, tz=say(args).tz,
        )  # fmt: skip
    print(say(args)("imp.exported", n=count, path=args.out))
    return 0


def run_return(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.roster import set_return_approval

    with session_scope(args, write=True) as session:
        entry = set_return_approval(
            session=session, person_id=args.person, approved=args.approve, by=actor(args),
            now=now(), note=args.note,
        )  # fmt: skip
    words = say(args)
    state = words("cli.roster.approved" if entry.return_approved else "cli.roster.not_approved")
    print(words("cli.roster.return", person=entry.person_id, name=entry.name, state=state,
                who=entry.return_approved_by))  # fmt: skip
    return 0


def run_show(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.roster import get_person

    with session_scope(args, write=False) as session:
        entry = get_person(session=session, person_id=args.person, role=args.role)
    print_fields(entry.model_dump(), say(args))
    return 0
