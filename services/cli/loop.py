"""The loop of a long-running job: one round every N seconds until SIGTERM or SIGINT.

A round that fails is logged and tried again next time; a heartbeat file is
touched after every round that succeeded, so ``campusgate health --heartbeat``
(the compose healthcheck) sees a job that is alive *and* getting its work done.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from kernel.heartbeat import beat
from kernel.logjson import FORMATS

log = logging.getLogger(__name__)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def run_every(
    interval_s: float,
    job: Callable[[], object],
    *,
    what: str,
    heartbeat: Path | None = None,
    stop: threading.Event | None = None,
) -> int:
    stop = stop or stop_on_signals()
    while not stop.is_set():
        try:
            job()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", what, interval_s)
        else:
            if heartbeat is not None:
                beat(heartbeat)
        stop.wait(interval_s)
    return 0


LOG_FORMAT_ENV = "CAMPUSGATE_LOG_FORMAT"


def add_log_format(parser: argparse.ArgumentParser) -> None:
    """``--log-format text|json``: on the top level and on every long-running command."""
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default=argparse.SUPPRESS,
        help=f"log lines as text or one JSON object per line (env {LOG_FORMAT_ENV}; default text)",
    )


def add_heartbeat(parser: argparse.ArgumentParser) -> None:
    add_log_format(parser)  # every command with a heartbeat runs for good
    parser.add_argument(
        "--heartbeat",
        type=Path,
        help="touch this file after every good round (for `campusgate health --heartbeat`)",
    )
