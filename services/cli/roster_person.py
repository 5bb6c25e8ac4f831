"""``campusgate roster person add|edit|deactivate|reactivate``: one person at a time.

Every change needs ``--reason``; who made it (``--by``, default the login name) and
why go to the audit log.  ``--id-number -`` reads the number from standard input so
it stays out of the shell's history.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from services.cli.common import add_actor, add_db

# option -> roster field
VALUE_OPTIONS = {
    "--name": "name", "--kind": "kind", "--id-number": "id_number", "--doc-type": "doc_type",
    "--unit": "unit", "--household": "household", "--valid-from": "valid_from",
    "--valid-until": "valid_until", "--gates": "gates", "--return-approved": "return_approved",
    "--card-no": "card_no", "--phone": "phone", "--class": "class_name",
    "--dormitory": "dormitory",
}  # fmt: skip


def _common(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_actor(parser)
    parser.add_argument("--reason", required=True, help="why (kept in the audit log)")
    parser.add_argument("--demo-key", action="store_true", help="allow the demo ID-hash key")


def _values(parser: argparse.ArgumentParser) -> None:
    for option, name in VALUE_OPTIONS.items():
        parser.add_argument(option, dest=f"v_{name}", metavar=name.upper(), default=None)
    parser.add_argument("--photo", type=Path, help="a JPEG or PNG photo, at most 5 MB")


def register_person(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("person", help="add, edit, deactivate or reactivate one person")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="a new person (name, kind and ID document required)")
    add.add_argument("person", help="学号/工号")
    _values(add)
    _common(add)
    add.set_defaults(handler=run_person)
    edit = verbs.add_parser("edit", help="change the given fields ('' clears an optional one)")
    edit.add_argument("person")
    _values(edit)
    _common(edit)
    edit.set_defaults(handler=run_person)
    for verb, text in (("deactivate", "no longer admitted (history kept)"),
                       ("reactivate", "admitted again")):  # fmt: skip
        sub = verbs.add_parser(verb, help=text)
        sub.add_argument("person")
        _common(sub)
        sub.set_defaults(handler=run_person)


def _cells(args: argparse.Namespace) -> dict[str, Any]:
    cells = {
        name: getattr(args, f"v_{name}")
        for name in VALUE_OPTIONS.values()
        if getattr(args, f"v_{name}") is not None
    }
    if cells.get("id_number") == "-":
        cells["id_number"] = sys.stdin.readline().strip()
    return cells


def run_person(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.identity import IdHasher, load_id_hash_key
    from services.roster.person import add_person, edit_person, set_active
    from services.roster.photos import process_photo

    by, at = actor(args), now()
    with session_scope(args, write=True) as session:
        if args.verb in ("deactivate", "reactivate"):
            entry = set_active(session=session, person_id=args.person,
                               active=args.verb == "reactivate", by=by, reason=args.reason,
                               now=at)  # fmt: skip
        else:
            photo = None
            if args.photo is not None:
                photo = process_photo(_read(args.photo), name=str(args.photo))
            hasher = IdHasher(load_id_hash_key(allow_demo_key=args.demo_key))
            cells = _cells(args)
            if args.verb == "add":
                entry = add_person(session=session, cells={"person_id": args.person, **cells},
                                   hasher=hasher, by=by, reason=args.reason, now=at,
                                   photo=photo)  # fmt: skip
            else:
                entry = edit_person(session=session, person_id=args.person, changes=cells,
                                    hasher=hasher, by=by, reason=args.reason, now=at,
                                    photo=photo)  # fmt: skip
    state = "active" if entry.active else "inactive"
    print(f"{entry.person_id} {entry.name} ({entry.kind}, {entry.masked_id}): {state}")
    return 0


def _read(path: Path) -> bytes:
    from kernel.errors import ConfigError
    from services.roster.photos import MAX_PHOTO_BYTES

    try:
        with path.open("rb") as stream:
            return stream.read(MAX_PHOTO_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
