"""``campusgate deploy init DIR``: secrets, keys, broker accounts and env files of a deployment."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("deploy", help="set up a deployment (docker compose)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init",
        help="write the secrets, keys, broker accounts and env files of a fresh deployment",
        description="Every file mode 0600; a file that exists is kept, never rewritten, so "
        "running it again is safe. Then: docker compose --env-file DIR/compose.env up -d --build",
    )
    init.add_argument("dir", type=Path, metavar="DIR", help="where to write (e.g. deploy/site)")
    init.add_argument("--site", default="main", help="site name (default main)")
    init.add_argument("--gates", type=Path, help="gates file to start from (default: north-1)")
    init.add_argument("--web-port", type=int, default=8080, help="host port of the web service")
    init.add_argument("--tz", default="Asia/Shanghai", help="the campus's time zone")
    init.add_argument("--report-at", default="07:00", help="local time of the daily report")
    init.add_argument("--retention-at", default="03:30", help="local time of the retention job")
    init.add_argument("--retention-days", type=int, default=180, help="days of entries kept")
    init.add_argument(
        "--owner", help="numeric uid[:gid] the containers run as (10001 in our image; needs root)"
    )
    init.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    from services.deploy.init import InitOptions, init_deployment

    report = init_deployment(
        args.dir,
        InitOptions(
            site=args.site,
            gates=args.gates,
            web_port=args.web_port,
            timezone=args.tz,
            report_at=args.report_at,
            retention_at=args.retention_at,
            retention_days=args.retention_days,
            owner=args.owner,
        ),
    )
    for name in report.written:
        print(f"wrote {name}")
    for name in report.kept:
        print(f"kept  {name} (exists; not rewritten)")
    print(f"next: docker compose --env-file {report.directory / 'compose.env'} up -d --build")
    return 0
