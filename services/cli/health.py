"""``campusgate health``: a container healthcheck: an HTTP readiness URL, or a heartbeat file.

Exit 0 when healthy, 1 when not, with one line saying why.  Cheap on purpose
(no database, no broker): compose runs it every few seconds in every container.
"""

from __future__ import annotations

import argparse
from pathlib import Path

TIMEOUT_S = 3.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "health", help="healthcheck: a /readyz URL answers 200, or a heartbeat file is fresh"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--url", help="e.g. http://127.0.0.1:8080/readyz")
    what.add_argument("--heartbeat", type=Path, help="file a job touches after each good round")
    parser.add_argument("--max-age", type=float, default=120.0, help="seconds (heartbeat)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.url:
        return _check_url(args.url)
    from kernel.heartbeat import age_s

    age = age_s(args.heartbeat)
    if age is None:
        print(f"unhealthy: no heartbeat yet in {args.heartbeat}")
        return 1
    if age > args.max_age:
        print(f"unhealthy: last heartbeat {age:.0f} s ago (more than {args.max_age:.0f} s)")
        return 1
    print(f"healthy: last heartbeat {age:.0f} s ago")
    return 0


def _check_url(url: str) -> int:
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        print(f"unhealthy: not an http(s) URL: {url}")
        return 1
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 (checked)
            body = response.read(2048).decode("utf-8", "replace").strip()
            print(f"healthy: {response.status} {body[:200]}")
            return 0
    except urllib.error.HTTPError as exc:
        body = exc.read(2048).decode("utf-8", "replace").strip()
        print(f"unhealthy: {exc.code} {body[:200]}")
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}")
    return 1
