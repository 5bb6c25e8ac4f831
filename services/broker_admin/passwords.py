"""Mosquitto's own password-file hashes (``$7$``: PBKDF2-HMAC-SHA512), made with hashlib.

A line of a Mosquitto 2 password file is ``user:$7$<iterations>$<salt>$<hash>``
with a 12-byte salt and the 64-byte PBKDF2-SHA512 digest, both standard base64
(this is what ``mosquitto_passwd`` writes; a test checks our lines against it and
against the running broker), so no Mosquitto binary is needed to write one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from kernel.errors import ConfigError

HASH_ID = "7"
SALT_BYTES = 12
DIGEST_BYTES = 64
# mosquitto_passwd's own count. Our passwords are 192-bit random tokens, so key
# stretching adds no strength; a low count keeps a reconnect storm of a thousand
# gates after a broker restart cheap for the broker.
ITERATIONS = 101
PASSWORD_BYTES = 24  # 32 URL-safe characters: usable in URLs, env files and TOML as is


def new_password() -> str:
    """A fresh random password of URL-safe characters, never starting with ``-``.

    (A leading dash would read as an option to ``mosquitto_pub -P``.)
    """
    while True:
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        if not password.startswith("-"):
            return password


def _digest(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The ``$7$...`` hash of ``password`` (a new random salt unless one is given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) != SALT_BYTES:
        raise ConfigError(f"salt must be {SALT_BYTES} bytes, got {len(salt)}")
    digest = base64.b64encode(_digest(password, salt, iterations)).decode("ascii")
    return f"${HASH_ID}${iterations}${base64.b64encode(salt).decode('ascii')}${digest}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash; ConfigError for a malformed hash."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != HASH_ID:
        raise ConfigError(f"not a Mosquitto $7$ hash: {hashed[:20]!r}")
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise ConfigError(f"malformed Mosquitto $7$ hash: {exc}") from exc
    if iterations < 1 or len(expected) != DIGEST_BYTES:
        raise ConfigError("malformed Mosquitto $7$ hash: bad iterations or digest length")
    return hmac.compare_digest(_digest(password, salt, iterations), expected)


def render_password_file(passwords: dict[str, str]) -> str:
    """The password file for ``{user: password}``, one ``user:$7$...`` line each."""
    return "".join(f"{user}:{hash_password(pw)}\n" for user, pw in sorted(passwords.items()))
