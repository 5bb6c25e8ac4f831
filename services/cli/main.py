"""Entry point of the ``campusgate`` console script.

Each command group lives in its own module exposing ``register(subparsers)``;
modules are imported lazily by name so ``campusgate keys new`` does not pay
for the MQTT client or the database layer.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from kernel.errors import CampusgateError, ConfigError
from kernel.logjson import FORMATS, formatter
from services.cli.lang import add_lang_everywhere
from services.cli.loop import LOG_FORMAT_ENV, add_log_format

# command name -> module under services.cli that registers it
COMMAND_MODULES: dict[str, str] = {
    "keys": "keys",
    "code": "code",
    "db": "db",
    "roster": "roster",
    "appointment": "appointment",
    "pass": "passes",
    "policy": "policy",
    "audit": "audit",
    "report": "report",
    "retention": "retention",
    "central": "central",
    "demo": "demo",
    "simulate": "simulate",
    "gate": "gate",
    "broker": "broker",
    "deploy": "deploy",
    "health": "health",
    "backup": "backup",
    "restore": "restore",
    "web": "web",
    "user": "user",
    "case": "case",
    "checkin": "checkin",
    "notify": "notify",
}

Handler = Callable[[argparse.Namespace], int]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or only the command ``only`` (``campusgate health``, which a
    container runs every few seconds, then imports nothing else)."""
    parser = argparse.ArgumentParser(
        prog="campusgate", description="Campus gate access and fever screening."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_log_format(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = [COMMAND_MODULES[only]] if only in COMMAND_MODULES else COMMAND_MODULES.values()
    for module_name in names:
        module = importlib.import_module(f"services.cli.{module_name}")
        module.register(commands)
    add_lang_everywhere(parser)
    return parser


def configure_logging(verbose: bool, log_format: str | None = None) -> None:
    kind = log_format or os.environ.get(LOG_FORMAT_ENV) or "text"
    if kind not in FORMATS:
        raise ConfigError(f"{LOG_FORMAT_ENV}={kind!r}: text or json")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(kind))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only="health" if words[:1] == ["health"] else None)
    args = parser.parse_args(words)
    try:
        configure_logging(args.verbose, getattr(args, "log_format", None))
    except CampusgateError as exc:
        print(f"campusgate: error: {exc}", file=sys.stderr)
        return 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except CampusgateError as exc:
        print(f"campusgate: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
