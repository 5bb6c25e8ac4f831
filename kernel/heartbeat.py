"""A heartbeat file: a long-running job touches it after each good round; a health check
reads its age.  Used where a process has no HTTP port to ask (the scheduled jobs)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def beat(path: Path) -> None:
    """Mark ``path`` as fresh now (created empty, mode 0600, when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.utime(path)


def age_s(path: Path) -> float | None:
    """Seconds since the last beat, or None when there was none."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return None
