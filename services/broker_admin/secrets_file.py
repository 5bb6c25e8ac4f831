"""The plaintext passwords of the broker accounts: one env file, mode 0600.

Lines are ``CAMPUSGATE_BROKER_PASSWORD_<USER>=<password>`` (user upper-cased,
``-`` as ``_``), so the same file serves ``docker compose --env-file``, a
systemd ``EnvironmentFile=`` and a human reading it.  Re-running the generator
keeps the passwords it finds here, so adding a gate does not log out the others.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from kernel.errors import ConfigError

SECRETS_FILE = "secrets.env"
VARIABLE_PREFIX = "CAMPUSGATE_BROKER_PASSWORD_"
SECRET_MODE = 0o600


def variable_name(user: str) -> str:
    """The env variable holding ``user``'s password (names are [a-z0-9-], so it is 1:1)."""
    return VARIABLE_PREFIX + user.upper().replace("-", "_")


def read_secrets(path: Path) -> dict[str, str]:
    """``{variable: password}`` from an existing secrets file ({} when there is none)."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.startswith(VARIABLE_PREFIX) or not value:
            raise ConfigError(f"{path}:{number}: expected {VARIABLE_PREFIX}<USER>=<password>")
        values[name] = value
    return values


def render_secrets(passwords: dict[str, str], descriptions: dict[str, str]) -> str:
    lines = ["# campusgate broker passwords: keep this file secret (mode 0600)"]
    for user in sorted(passwords):
        lines += [
            f"# {user}: {descriptions.get(user, '')}",
            f"{variable_name(user)}={passwords[user]}",
        ]
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str, mode: int = SECRET_MODE) -> None:
    """Write ``text`` atomically; the file has ``mode`` from its first byte on."""
    try:
        _write_atomically(path, text, mode)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc} (a broker container may own it: run as root)"
        ) from exc


def _write_atomically(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
