"""What appointments and temporary passes share: ids, gate lists, codes, holders.

Both grant entry to someone outside the roster for a time window, by a signed
code whose subject is the grant's id (``A-...`` or ``P-...``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from kernel.codes import SigningKey, issue_code
from kernel.codes.format import split
from kernel.errors import ConfigError
from schemas.names import is_valid_name
from services.identity import IdHasher, validate_cn_id

PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
MIN_CODE_TTL = timedelta(minutes=1)


def new_grant_id(prefix: str, now: datetime) -> str:
    """``A-``/``P-``, 12 hex digits of milliseconds, 8 random: time-ordered and unique."""
    return f"{prefix}-{int(now.timestamp() * 1000):012x}{secrets.token_hex(4)}"


def gates_text(gates: Sequence[str] | None) -> str:
    if not gates or list(gates) == ["*"]:
        return "*"
    bad = [g for g in gates if not is_valid_name(g)]
    if bad:
        raise ConfigError(f"bad gate name {bad[0]!r}")
    return ";".join(dict.fromkeys(gates))


def gates_set(text: str) -> frozenset[str] | None:
    return None if text.strip() == "*" else frozenset(g for g in text.split(";") if g)


def check_phone(phone: str) -> str:
    phone = phone.strip()
    if phone and not PHONE_RE.fullmatch(phone):
        raise ConfigError(f"bad phone number {phone!r}")
    return phone


def hashed_id_number(number: str, hasher: IdHasher) -> tuple[str, str]:
    """(keyed hash, last four) of a checked ID number; the number itself goes no further."""
    problem = validate_cn_id(number)
    if problem:
        raise ConfigError(problem)
    return hasher.hash(number), IdHasher.last4(number)


def check_window(valid_from: datetime, valid_until: datetime, now: datetime) -> None:
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise ConfigError("times need a time zone")
    if valid_until <= valid_from:
        raise ConfigError("the window ends before it starts")
    if valid_until <= now:
        raise ConfigError("the window is already over")


def issue_grant_code(
    key: SigningKey,
    *,
    site: str,
    subject: str,
    typ: str,
    valid_until: datetime,
    now: datetime,
    once: bool,
) -> tuple[str, str, datetime]:
    """(code, jti, expires_at): a code for ``site``, valid from now until the window's end."""
    ttl = max(valid_until - now, MIN_CODE_TTL)
    code = issue_code(key, subject=subject, typ=typ, ttl=ttl, now=now, site=site, once=once)
    _signed, payload, _signature = split(code)
    expires = datetime.fromtimestamp(int(payload["exp"]), now.tzinfo)
    return code, str(payload["jti"]), expires


def write_code_png(code: str, path: Path, *, scale: int = 6) -> None:
    """The code as a QR image to send to the visitor (segno, error correction M)."""
    import segno  # noqa: PLC0415 - only the commands that write images pay for it

    segno.make(code, error="m", micro=False).save(str(path), scale=scale, border=4)
