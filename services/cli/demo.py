"""``campusgate demo``: run the whole system on this machine with simulated gates."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.loop import add_log_format


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole system locally with simulated gates",
        description=(
            "Private broker, central service on SQLite, web service, four gate agents with "
            "simulated thermometers, cameras and relays; one line per person."
        ),
    )
    parser.add_argument("--broker", help="use this broker instead of starting a private one")
    parser.add_argument("--workdir", type=Path, help="keep the demo's database and keys here")
    parser.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl-C)")
    parser.add_argument("--rate", type=float, default=2.0, help="people per second (default 2)")
    parser.add_argument("--headless", action="store_true", help="no colours; print a summary")
    add_log_format(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from services.demo.run import run_demo

    if not args.verbose:
        # The demo prints one line per person; the parts' own logs only with -v.
        logging.getLogger().setLevel(logging.WARNING)

    summary = run_demo(
        broker_url=args.broker,
        workdir=args.workdir,
        duration_s=args.duration,
        rate_hz=args.rate,
        headless=args.headless,
    )
    return 0 if summary.lost == 0 and summary.unexpected == 0 else 1
