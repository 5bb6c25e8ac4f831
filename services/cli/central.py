"""``campusgate central``: run one central decision worker until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.loop import add_log_format


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "central",
        help="run a central decision worker",
        description="Decide passages from MQTT, log them durably, answer the gates.",
    )
    parser.add_argument("--broker", help="mqtt://host:port (env CAMPUSGATE_MQTT__URL)")
    parser.add_argument("--db", help="database URL (env CAMPUSGATE_DB__URL)")
    parser.add_argument("--site", help="site served (env CAMPUSGATE_SITE)")
    parser.add_argument("--keys", type=Path, help="key directory with the public keys")
    parser.add_argument("--policy", type=Path, help="policy file (JSON or TOML)")
    parser.add_argument(
        "--worker-id",
        help="distinct, stable id per worker of one site; `auto`: the lowest free slot "
        "(container replicas), held by a database lock while the worker runs",
    )
    parser.add_argument("--no-upgrade", action="store_true", help="do not migrate the database")
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve /healthz, /readyz and /metrics here (a monitoring address, not public)",
    )
    parser.add_argument(
        "--retire",
        action="store_true",
        help="scale down: decide what is queued for --worker-id, then end its broker session",
    )
    add_log_format(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kernel.errors import ConfigError
    from services.central.app import retire, run_until_signalled
    from services.central.settings import AUTO_WORKER_ID, CentralSettings
    from services.central.slots import claim_worker_id

    overrides: dict[str, object] = {}
    if args.site:
        overrides["site"] = args.site
    if args.broker:
        overrides["mqtt"] = {"url": args.broker}
    if args.db:
        overrides["db"] = {"url": args.db}
    if args.keys:
        overrides["keys_dir"] = args.keys
    if args.policy:
        overrides["policy_file"] = args.policy
    if args.worker_id:
        overrides["worker_id"] = args.worker_id
    settings = CentralSettings.model_validate(
        {**CentralSettings().model_dump(exclude_unset=True), **overrides}
    )
    if args.retire:
        if settings.worker_id == AUTO_WORKER_ID or not args.worker_id:
            raise ConfigError("--retire needs the --worker-id to retire")
        return retire(settings)
    if settings.worker_id != AUTO_WORKER_ID:
        return run_until_signalled(settings, upgrade_db=not args.no_upgrade, http=args.http)
    lease = claim_worker_id(settings.db.url, settings.site)
    try:
        settings = settings.model_copy(update={"worker_id": lease.worker_id})
        return run_until_signalled(settings, upgrade_db=not args.no_upgrade, http=args.http)
    finally:
        lease.release()
