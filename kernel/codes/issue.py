"""Issuing signed codes; the caller passes ``now`` (no clock reads here)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.codes.claims import CODE_TYPES, HEALTH_COLOURS
from kernel.codes.format import PREFIX, b64encode, encode_payload
from kernel.codes.keys import SigningKey
from kernel.errors import ConfigError

DEFAULT_TTL = {
    "health": timedelta(minutes=10),
    "visitor": timedelta(hours=2),
    "id": timedelta(days=365),
    "pass": timedelta(days=1),
}
TTL_RE = re.compile(r"^([1-9][0-9]{0,5})([smhd])$")
TTL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    match = TTL_RE.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"bad TTL {text!r}: use a number and s, m, h or d (e.g. 10m)")
    return timedelta(**{TTL_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code just signed, with what the register of issued codes keeps about it."""

    code: str
    jti: str
    kid: str
    subject: str
    typ: str
    issued_at: datetime
    valid_until: datetime


def issue_code(key: SigningKey, **kwargs: Any) -> str:
    """The text of a signed code (:func:`issue`'s arguments)."""
    return issue(key, **kwargs).code


def issue(
    key: SigningKey,
    *,
    subject: str,
    typ: str,
    ttl: timedelta,
    now: datetime,
    site: str | None,
    once: bool = False,
    health: str | None = None,
    negative_test: datetime | None = None,
    risk: bool | None = None,
) -> IssuedCode:
    """A signed code for ``subject``; ``site`` goes into the ``site`` claim, so another
    site's verifiers refuse it (None makes a code as they were before the claim existed)."""
    if typ not in CODE_TYPES:
        raise ConfigError(f"unknown code type {typ!r}")
    if (typ == "health") != (health is not None):
        raise ConfigError("--health is required for health codes and only for them")
    if health is not None and health not in HEALTH_COLOURS:
        raise ConfigError(f"unknown health colour {health!r}")
    if not 0 < len(subject) <= 128:
        raise ConfigError("subject must be 1-128 characters")
    if site is not None and not 0 < len(site) <= 32:
        raise ConfigError("site must be 1-32 characters")
    iat = int(now.timestamp())
    exp = iat + max(1, int(ttl.total_seconds()))
    jti = b64encode(secrets.token_bytes(12))
    payload: dict[str, object] = {
        "kid": key.kid, "sub": subject, "typ": typ, "iat": iat, "exp": exp, "jti": jti,
    }  # fmt: skip
    if site is not None:
        payload["site"] = site
    if once:
        payload["once"] = True
    if typ == "health":
        payload["hs"] = health
        payload["risk"] = bool(risk)
        if negative_test is not None:
            payload["nat"] = int(negative_test.timestamp())
    signed = f"{PREFIX}.{encode_payload(payload)}"
    return IssuedCode(
        code=f"{signed}.{b64encode(key.sign(signed.encode('ascii')))}",
        jti=jti, kid=key.kid, subject=subject, typ=typ,
        issued_at=datetime.fromtimestamp(iat, UTC), valid_until=datetime.fromtimestamp(exp, UTC),
    )  # fmt: skip
