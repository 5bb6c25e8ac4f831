"""Plain identifiers (an ID-card number typed or read at the lane) as the site's keyed hash.

The central keeps no ID number, only ``HMAC-SHA256(key, number)`` and the last four
digits; the gate's snapshot carries the same hashes (never the numbers).  Both sides
turn what a lane read into that hash with this one function, so a number resolves
the same way online and offline.  The key is the site's ``CAMPUSGATE_ID_HASH_KEY``:
without it a gate resolves person ids and campus card numbers only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

MIN_KEY_BYTES = 16

PlainIdHash = Callable[[str], str]


def normalise_plain_id(value: str) -> str:
    """Spaces dropped, letters upper-case: ``11010519491231002x`` and ``...002X`` are one."""
    return value.replace(" ", "").strip().upper()


def key_from_text(text: str) -> bytes:
    """A key as written in settings: hex when it is hex, otherwise its UTF-8 bytes."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def plain_id_hasher(key: bytes) -> PlainIdHash:
    """``value -> hex HMAC-SHA256`` under ``key`` (at least :data:`MIN_KEY_BYTES`)."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the ID hash key must be at least {MIN_KEY_BYTES} bytes")

    def hash_value(value: str) -> str:
        return hmac.new(key, normalise_plain_id(value).encode(), hashlib.sha256).hexdigest()

    return hash_value
