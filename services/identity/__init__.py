"""ID card numbers: validated, then kept only as a keyed hash plus the last four digits."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date

from kernel.errors import ConfigError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
KEY_ENV = "CAMPUSGATE_ID_HASH_KEY"
# Refused outside the demo: with a known key the hashes could be reversed by brute force.
DEMO_KEY = b"campusgate-demo-id-hash-key-not-for-production"
MIN_KEY_BYTES = 16
# A key copied from an example file is as public as the demo one (deploy/compose.env.example
# ships "change-me-to-64-hex-characters"); so is one with hardly any variety in it.
PLACEHOLDER_RE = re.compile(rb"change[-_ ]?me|placeholder|replace[-_ ]?me|your[-_ ]?key", re.I)
MIN_DISTINCT_BYTES = 8


def normalise(number: str) -> str:
    return number.replace(" ", "").strip().upper()


def validate_cn_id(number: str) -> str | None:
    """None if ``number`` is a well-formed PRC resident ID; else why not."""
    value = normalise(number)
    if not ID_RE.fullmatch(value):
        return "ID number must be 17 digits and a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "ID number has an impossible birth date"
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        return "ID number check digit is wrong"
    return None


class IdHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the ID hash key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def hash(self, number: str) -> str:
        return hmac.new(self._key, normalise(number).encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def last4(number: str) -> str:
        return normalise(number)[-4:]


def is_placeholder(key: bytes) -> bool:
    """A key anyone could guess: the demo's, an example file's, or one of a few repeated bytes."""
    return key == DEMO_KEY or bool(PLACEHOLDER_RE.search(key)) or len(set(key)) < MIN_DISTINCT_BYTES


def load_id_hash_key(*, allow_demo_key: bool = False) -> bytes:
    """The key from ``CAMPUSGATE_ID_HASH_KEY``; outside the demo a guessable one is refused."""
    text = os.environ.get(KEY_ENV)
    if text:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = text.encode()
        if not allow_demo_key and is_placeholder(key):
            raise ConfigError(
                f"{KEY_ENV} is a placeholder or demo value: set a random one "
                "(openssl rand -hex 32; changing it later needs the roster re-imported)"
            )
        return key
    if allow_demo_key:
        return DEMO_KEY
    raise ConfigError(f"set {KEY_ENV} (hex or text, >= 16 bytes): the key for ID-number hashes")
