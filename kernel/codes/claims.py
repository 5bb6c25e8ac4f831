"""What a verified code says, and the strict validation of its payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kernel.errors import InvalidCode

CODE_TYPES = frozenset({"id", "health", "visitor", "pass"})
HEALTH_COLOURS = frozenset({"green", "yellow", "red"})
HEALTH_ONLY = ("hs", "nat", "risk")
ALLOWED_FIELDS = frozenset({"kid", "sub", "typ", "iat", "exp", "jti", "once", "site", *HEALTH_ONLY})
MAX_TIMESTAMP = 253402300799  # 9999-12-31
MAX_TEXT = 128


@dataclass(frozen=True, slots=True)
class Claims:
    kid: str
    sub: str
    typ: str
    iat: datetime
    exp: datetime
    jti: str
    once: bool = False
    hs: str | None = None
    nat: datetime | None = None
    risk: bool | None = None
    # The site the code was issued for; None on codes issued before the claim existed.
    site: str | None = None


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise InvalidCode(f"bad {name}")
    return value


def _time(payload: dict[str, Any], name: str) -> datetime:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMESTAMP:
        raise InvalidCode(f"bad {name}")
    return datetime.fromtimestamp(value, UTC)


def parse_claims(payload: dict[str, Any]) -> Claims:
    unknown = set(payload) - ALLOWED_FIELDS
    if unknown:
        raise InvalidCode(f"unknown fields {sorted(unknown)}")
    typ = _text(payload, "typ")
    if typ not in CODE_TYPES:
        raise InvalidCode("bad typ")
    once = payload.get("once", False)
    if not isinstance(once, bool):
        raise InvalidCode("bad once")
    hs = nat = risk = None
    if typ == "health":
        hs = _text(payload, "hs")
        if hs not in HEALTH_COLOURS:
            raise InvalidCode("bad hs")
        nat = _time(payload, "nat") if "nat" in payload else None
        risk = payload.get("risk", False)
        if not isinstance(risk, bool):
            raise InvalidCode("bad risk")
    elif any(name in payload for name in HEALTH_ONLY):
        raise InvalidCode("health fields on a non-health code")
    site = _text(payload, "site") if "site" in payload else None
    iat, exp = _time(payload, "iat"), _time(payload, "exp")
    if exp <= iat:
        raise InvalidCode("exp before iat")
    return Claims(
        kid=_text(payload, "kid"),
        sub=_text(payload, "sub"),
        typ=typ,
        iat=iat,
        exp=exp,
        jti=_text(payload, "jti"),
        once=once,
        hs=hs,
        nat=nat,
        risk=risk,
        site=site,
    )
