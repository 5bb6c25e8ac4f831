"""The loop of a long-running job: one round every N seconds until SIGTERM or SIGINT.

A round that fails is logged and tried again next time; a heartbeat file is
touched after every round that succeeded, so ``campusgate health --heartbeat``
(the compose healthcheck) sees a job that is alive *and* getting its work done.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from kernel.heartbeat import beat

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


def add_heartbeat(parser: object) -> None:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    parser.add_argument(
        "--heartbeat",
        type=Path,
        help="touch this file after every good round (for `campusgate health --heartbeat`)",
    )
