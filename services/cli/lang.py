"""``--lang zh|en`` on every command that writes for people (argparse only: ``campusgate
health``, run every few seconds, imports nothing more for it)."""

from __future__ import annotations

import argparse

LANG_HELP = "language of what is printed or written: zh or en (default: env CAMPUSGATE_LANG, zh)"


def add_lang_everywhere(parser: argparse.ArgumentParser) -> None:
    """``--lang zh|en`` on every command (a command that has its own ``--lang``, the card or
    header language, keeps it: the same option, the same words)."""
    subcommands = [
        action
        for action in parser._actions  # argparse offers no public walk
        if isinstance(action, argparse._SubParsersAction)
    ]
    if not subcommands:
        if "--lang" not in parser._option_string_actions:
            parser.add_argument("--lang", default=None, help=LANG_HELP)
        return
    for action in subcommands:
        for sub in dict.fromkeys(action.choices.values()):
            add_lang_everywhere(sub)
