"""``campusgate policy``: the site policy, versioned with who and why; epidemic response levels."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.common import Say, add_actor, add_db, say


def _site(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--site", default="main")
    add_db(sub)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("policy", help="site policy versions and response levels")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("show", help="the policy in force (or one version)")
    show.add_argument("--version", type=int)
    _site(show)
    show.set_defaults(handler=run_show)

    hist = actions.add_parser("history", help="every version: who changed what and why")
    _site(hist)
    hist.set_defaults(handler=run_history)

    change = actions.add_parser(
        "set",
        help="change settings: KEY=VALUE ... (a new version)",
        description="Values are JSON where they parse as JSON (37.5, true, null, "
        '["east-1"], {"exits": 1, "window_hours": 48}), else text. Maps take dotted keys: '
        "screening.north-1=soft, gate_kinds.east-1='[\"family\"]'.",
    )
    change.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    change.add_argument("--reason", required=True, help="why (kept with the version)")
    change.add_argument("--base-version", type=int, help="refuse if the policy moved past this")
    _site(change)
    add_actor(change)
    change.set_defaults(handler=run_set)

    imp = actions.add_parser("import", help="a new version from a JSON or TOML file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--reason", required=True)
    _site(imp)
    add_actor(imp)
    imp.set_defaults(handler=run_import)

    diff = actions.add_parser("diff", help="what changed between two versions")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    _site(diff)
    diff.set_defaults(handler=run_diff)

    _register_levels(actions)


def _register_levels(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``policy level list|define|switch``: epidemic response levels."""
    level = actions.add_parser("level", help="epidemic response levels")
    verbs = level.add_subparsers(dest="verb", required=True, metavar="VERB")
    lst = verbs.add_parser("list")
    _site(lst)
    lst.set_defaults(handler=run_levels)
    define = verbs.add_parser("define", help="create or change a level")
    define.add_argument("name")
    define.add_argument("--description", default="")
    define.add_argument("--threshold", default="37.3")
    define.add_argument("--exit-quota", default="none", help="EXITS/HOURS, e.g. 1/48, or none")
    define.add_argument("--visitors", choices=["allow", "ban"], default="allow")
    define.add_argument(
        "--close",
        action="append",
        default=[],
        metavar="GATE",
        help="gate closed at this level (repeatable)",
    )
    define.add_argument("--health-code", choices=["required", "optional"])
    define.add_argument("--mask", choices=["required", "optional"])
    _site(define)
    add_actor(define)
    define.set_defaults(handler=run_define)
    switch = verbs.add_parser(
        "switch",
        help="switch the site to a level in one action",
        description="A level that would replace values set by hand (a hand-set 37.5 C "
        "threshold) is refused, naming each; --replace-hand-set replaces them.",
    )
    switch.add_argument("name")
    switch.add_argument("--reason", required=True)
    switch.add_argument(
        "--replace-hand-set",
        action="store_true",
        help="replace the hand-set values the level sets otherwise (named when refused)",
    )
    _site(switch)
    add_actor(switch)
    switch.set_defaults(handler=run_switch)


def _print_version(v: object, words: Say) -> None:
    from services.policy.service import PolicyVersion

    assert isinstance(v, PolicyVersion)
    print(words("cli.policy.version", site=v.site, version=v.version, level=v.level or "-",
                at=words.time(v.changed_at), who=v.changed_by, why=v.reason))  # fmt: skip
    print(v.policy.model_dump_json(indent=2))


def parse_setting(text: str) -> tuple[str, object]:
    import json

    from kernel.errors import ConfigError

    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"bad setting {text!r}: KEY=VALUE")
    try:
        value: object = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def run_show(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.policy.service import current_version, get_version

    with session_scope(args, write=False) as session:
        found = (
            get_version(session=session, site=args.site, version=args.version)
            if args.version is not None
            else current_version(session=session, site=args.site)
        )
    if found is None:
        from schemas.policy import Policy

        print(say(args)("cli.policy.none", site=args.site))
        print(Policy(site=args.site).model_dump_json(indent=2))
        return 0
    _print_version(found, say(args))
    return 0


def run_history(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.policy.service import diff, history

    with session_scope(args, write=False) as session:
        versions = history(session=session, site=args.site)
    previous, words = None, say(args)
    for v in versions:
        changes: dict[str, list[object]] = diff(previous.policy, v.policy) if previous else {}
        changed = ", ".join(f"{k} {a}->{b}" for k, (a, b) in changes.items())
        print(words("cli.policy.history", version=v.version, at=words.time(v.changed_at),
                    who=v.changed_by, level=v.level or "-", why=v.reason,
                    changed=changed or words("cli.policy.first")))  # fmt: skip
        previous = v
    print(words("cli.policy.count", n=len(versions)))
    return 0


def run_set(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.policy.service import change_policy

    changes: dict[str, object] = dict(parse_setting(text) for text in args.settings)
    with session_scope(args, write=True) as session:
        v = change_policy(
            session=session,
            site=args.site,
            changes=changes,
            by=actor(args),
            reason=args.reason,
            now=now(),
            base_version=args.base_version,
        )
    print(f"policy version {v.version} saved; the central workers pick it up within a second")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.policy.service import import_policy

    with session_scope(args, write=True) as session:
        v = import_policy(
            session=session,
            site=args.site,
            path=args.file,
            by=actor(args),
            reason=args.reason,
            now=now(),
        )
    print(f"policy version {v.version} imported from {args.file}")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.policy.service import diff, get_version

    with session_scope(args, write=False) as session:
        old = get_version(session=session, site=args.site, version=args.old)
        new = get_version(session=session, site=args.site, version=args.new)
    for key, (a, b) in diff(old.policy, new.policy).items():
        print(f"{key}: {a} -> {b}")
    return 0


def _level_line(level: object) -> str:
    from services.policy.service import ResponseLevel

    assert isinstance(level, ResponseLevel)
    quota = (
        f"{level.exit_quota.exits}/{level.exit_quota.window_hours}h" if level.exit_quota else "none"
    )
    extra = []
    if level.health_code_required is not None:
        extra.append(f"health code {'required' if level.health_code_required else 'optional'}")
    if level.mask_required is not None:
        extra.append(f"mask {'required' if level.mask_required else 'optional'}")
    return (
        f"{level.name:<10} threshold {level.threshold}, exit quota {quota}, visitors "
        f"{'allowed' if level.visitors_allowed else 'banned'}, closed "
        f"{','.join(sorted(level.closed_gates)) or '-'}"
        + (f", {', '.join(extra)}" if extra else "")
        + f"  {level.description}"
    )


def run_levels(args: argparse.Namespace) -> int:
    from services.cli.common import session_scope
    from services.policy.service import current_version, list_levels

    with session_scope(args, write=False) as session:
        levels = list_levels(session=session, site=args.site)
        current = current_version(session=session, site=args.site)
    active = current.level if current else None
    for level in levels:
        print(("* " if level.name == active else "  ") + _level_line(level))
    return 0


def run_define(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from kernel.errors import ConfigError
    from schemas.policy import ExitQuota
    from services.cli.common import actor, now, session_scope
    from services.policy.service import ResponseLevel, define_level

    quota = None
    if args.exit_quota != "none":
        exits, _, hours = args.exit_quota.partition("/")
        if not exits.isdigit() or not hours.isdigit():
            raise ConfigError(f"bad --exit-quota {args.exit_quota!r}: EXITS/HOURS or none")
        quota = ExitQuota(exits=int(exits), window_hours=int(hours))
    try:
        threshold = Decimal(args.threshold)
    except InvalidOperation as exc:
        raise ConfigError(f"bad --threshold {args.threshold!r}") from exc
    level = ResponseLevel(
        name=args.name,
        description=args.description,
        threshold=threshold,
        exit_quota=quota,
        visitors_allowed=args.visitors == "allow",
        closed_gates=frozenset(args.close),
        health_code_required=None if args.health_code is None else args.health_code == "required",
        mask_required=None if args.mask is None else args.mask == "required",
    )
    with session_scope(args, write=True) as session:
        define_level(session=session, site=args.site, level=level, by=actor(args), now=now())
    print("defined " + _level_line(level))
    return 0


def run_switch(args: argparse.Namespace) -> int:
    from services.cli.common import actor, now, session_scope
    from services.policy.service import switch_level

    with session_scope(args, write=True) as session:
        v = switch_level(
            session=session,
            site=args.site,
            name=args.name,
            by=actor(args),
            reason=args.reason,
            now=now(),
            replace_hand_set=args.replace_hand_set,
        )
    print(
        f"site {args.site} switched to level {v.level}: policy version {v.version} "
        f"(threshold {v.policy.threshold}, visitors "
        f"{'allowed' if v.policy.visitors_allowed else 'banned'}, closed gates "
        f"{','.join(sorted(v.policy.closed_gates)) or '-'})"
    )
    return 0
