"""Entry point of the ``campusgate`` console script.

Each command group lives in its own module exposing ``register(subparsers)``;
modules are imported lazily by name so ``campusgate keys new`` does not pay
for the MQTT client or the database layer.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from kernel.errors import CampusgateError

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
    "web": "web",
    "user": "user",
    "case": "case",
    "checkin": "checkin",
}

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campusgate", description="Campus gate access and fever screening."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES.values():
        module = importlib.import_module(f"services.cli.{module_name}")
        module.register(commands)
    return parser


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
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
