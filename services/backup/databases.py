"""Copying a database out and in: SQLite by its online backup API, PostgreSQL by pg_dump.

SQLite's backup API copies a consistent snapshot while the central workers go on
writing (WAL).  ``pg_dump -Fc`` does the same for PostgreSQL (one transaction,
repeatable read); its major version must be at least the server's.  Passwords
reach pg_dump and pg_restore in their environment (PGPASSWORD), never their
command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from kernel.errors import ConfigError
from kernel.redact import redact_url
from services.storage.engine import make_engine

TOOL_TIMEOUT_S = 6 * 3600


def kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"cannot back up a {backend} database")
    return backend


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def sqlite_backup(url: str, dest: Path) -> None:
    source = sqlite_path(url)
    if not source.is_file():
        raise ConfigError(f"no database at {source}")
    dest.touch(mode=0o600, exist_ok=False)
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def sqlite_restore(source: Path, url: str) -> None:
    target = sqlite_path(url)
    if target.exists() and target.stat().st_size > 0:
        raise ConfigError(f"{target} exists: restore into a new database file")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _pg_environment(url: str) -> dict[str, str]:
    parsed = make_url(url)
    env = {**os.environ, "PGDATABASE": parsed.database or "", "PGCONNECT_TIMEOUT": "10"}
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port),
                        ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password)):  # fmt: skip
        if value is not None:
            env[name] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"{name} is not installed (apt-get install postgresql-client)")
    return path


def _major(version_text: str) -> int:
    for word in version_text.split():
        if word[:1].isdigit():
            return int(word.split(".")[0])
    raise ConfigError(f"cannot read a version from {version_text!r}")


def check_pg_dump(url: str) -> str:
    """pg_dump's path, once its major version is at least the server's."""
    tool = _tool("pg_dump")
    client = _major(subprocess.run([tool, "--version"], capture_output=True, text=True,
                                   check=True).stdout)  # fmt: skip
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            server = int(str(connection.execute(text("SHOW server_version_num")).scalar())) // 10000
    finally:
        engine.dispose()
    if client < server:
        raise ConfigError(f"pg_dump {client} is older than the server ({server}): install "
                          f"postgresql-client-{server}")  # fmt: skip
    return tool


def pg_dump(url: str, dest: Path) -> None:
    tool = check_pg_dump(url)
    dest.touch(mode=0o600, exist_ok=False)
    _run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}"], url)


def pg_restore(source: Path, url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )).scalar()  # fmt: skip
    finally:
        engine.dispose()
    if tables:
        raise ConfigError(f"{redact_url(url)} is not empty: restore into a new database")
    tool = _tool("pg_restore")
    _run([tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={make_url(url).database}", str(source)], url)  # fmt: skip


def _run(command: list[str], url: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env=_pg_environment(url), timeout=TOOL_TIMEOUT_S)  # fmt: skip
    if result.returncode != 0:
        raise ConfigError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:500]}")
