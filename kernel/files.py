"""Files that hold people's data or secrets are created readable by their owner only.

SQLite creates a database with the process's umask (0644 under the usual 022),
so the file is made first, 0600, and SQLite opens it; SQLite gives the ``-wal``
and ``-shm`` files it creates beside it the database file's own mode.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_MODE = 0o600


def create_private_file(path: Path) -> None:
    """Create ``path`` (and its folder) with mode 0600 unless it exists; warn if it is open
    to others (an existing file keeps its mode: the operator may have chosen it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s is readable by others (mode %o): chmod 600 it", path, mode)
        return
    os.close(fd)
