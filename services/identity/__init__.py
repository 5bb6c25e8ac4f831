"""ID card numbers: validated, then kept only as a keyed hash plus the last four digits.

Other identity documents (passports, permits) are checked by their own formats in
:mod:`services.identity.documents` and kept the same way.
"""

from __future__ import annotations

import os
import re

from kernel.errors import ConfigError
from kernel.plain_ids import MIN_KEY_BYTES, key_from_text, normalise_plain_id, plain_id_hasher
from services.identity.documents import (
    DOC_TYPES,
    doc_type_for,
    validate_cn_id,
    validate_document,
)

KEY_ENV = "CAMPUSGATE_ID_HASH_KEY"
# Refused outside the demo: with a known key the hashes could be reversed by brute force.
DEMO_KEY = b"campusgate-demo-id-hash-key-not-for-production"
# A key copied from an example file is as public as the demo one (deploy/compose.env.example
# ships "change-me-to-64-hex-characters"); so is one with hardly any variety in it.
PLACEHOLDER_RE = re.compile(rb"change[-_ ]?me|placeholder|replace[-_ ]?me|your[-_ ]?key", re.I)
MIN_DISTINCT_BYTES = 8


def normalise(number: str) -> str:
    return normalise_plain_id(number)


class IdHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the ID hash key must be at least {MIN_KEY_BYTES} bytes")
        self._hash = plain_id_hasher(key)

    def hash(self, number: str) -> str:
        """The keyed hash of a number (the kernel's, so the gates compute the same)."""
        return self._hash(number)

    @staticmethod
    def last4(number: str) -> str:
        return normalise(number)[-4:]


def is_placeholder(key: bytes) -> bool:
    """A key anyone could guess: the demo's, an example file's, or one of a few repeated bytes."""
    return key == DEMO_KEY or bool(PLACEHOLDER_RE.search(key)) or len(set(key)) < MIN_DISTINCT_BYTES


def load_id_hash_key(*, allow_demo_key: bool = False, text: str | None = None) -> bytes:
    """The key ``text`` or from ``CAMPUSGATE_ID_HASH_KEY``; outside the demo a guessable one is
    refused."""
    text = os.environ.get(KEY_ENV) if text is None else text
    if text:
        key = key_from_text(text)
        if not allow_demo_key and is_placeholder(key):
            raise ConfigError(
                f"{KEY_ENV} is a placeholder or demo value: set a random one "
                "(openssl rand -hex 32; changing it later needs the roster re-imported)"
            )
        return key
    if allow_demo_key:
        return DEMO_KEY
    raise ConfigError(f"set {KEY_ENV} (hex or text, >= 16 bytes): the key for ID-number hashes")


__all__ = [
    "DEMO_KEY", "DOC_TYPES", "KEY_ENV", "IdHasher", "doc_type_for", "is_placeholder",
    "load_id_hash_key", "normalise", "validate_cn_id", "validate_document",
]  # fmt: skip
