"""The text form of a signed code: ``CG1.<base64url payload>.<base64url signature>``.

Only canonical encodings are accepted: unpadded URL-safe base64 that re-encodes
to exactly the same text, so one code has exactly one spelling.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from kernel.errors import InvalidCode

PREFIX = "CG1"
MAX_CODE_LENGTH = 2048
SIGNATURE_BYTES = 64


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode canonical unpadded base64url or raise InvalidCode."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCode("bad base64") from exc
    if b64encode(raw) != text:
        raise InvalidCode("non-canonical base64")
    return raw


def encode_payload(payload: dict[str, Any]) -> str:
    return b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())


def split(code: str) -> tuple[str, dict[str, Any], bytes]:
    """(signed text, payload, signature) of a code; raise InvalidCode if malformed."""
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        raise InvalidCode("code too long")
    if not code.isascii():
        raise InvalidCode("code is not ASCII")
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidCode("not a CG1 code")
    payload_raw = b64decode(parts[1])
    signature = b64decode(parts[2])
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidCode("bad signature length")
    try:
        payload = json.loads(payload_raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidCode("payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidCode("payload is not an object")
    return f"{parts[0]}.{parts[1]}", payload, signature
