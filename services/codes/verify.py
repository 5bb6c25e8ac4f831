"""Verifying signed codes offline with public keys only; never raises but CodeError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature

from services.codes.claims import Claims, parse_claims
from services.codes.format import split
from services.codes.keys import KeyRing
from services.decision.facts import CodeFacts, CodeStatus
from services.errors import CodeError, ExpiredCode, InvalidCode, NotYetValidCode

CLOCK_SKEW = timedelta(seconds=60)


class Verifier:
    def __init__(self, keyring: KeyRing, *, clock_skew: timedelta = CLOCK_SKEW) -> None:
        self.keyring = keyring
        self.clock_skew = clock_skew

    def verify(self, code: str, now: datetime) -> Claims:
        try:
            signed, payload, signature = split(code)
            kid = payload.get("kid")
            key = self.keyring.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidCode("unknown key id")
            try:
                key.verify(signature, signed.encode("ascii"))
            except InvalidSignature as exc:
                raise InvalidCode("bad signature") from exc
            claims = parse_claims(payload)
        except CodeError:
            raise
        except Exception as exc:  # anything unforeseen in hostile input is still "invalid"
            raise InvalidCode(f"unreadable code: {type(exc).__name__}") from exc
        if now + self.clock_skew < claims.iat:
            raise NotYetValidCode("code not yet valid")
        if now >= claims.exp:
            raise ExpiredCode("code expired")
        return claims


_STATUS = {InvalidCode: CodeStatus.INVALID, ExpiredCode: CodeStatus.EXPIRED,
           NotYetValidCode: CodeStatus.NOT_YET_VALID}  # fmt: skip


def verify_facts(verifier: Verifier, code: str, now: datetime) -> CodeFacts:
    """CodeFacts for the decision core (one-time use is checked by the caller)."""
    try:
        claims = verifier.verify(code, now)
    except CodeError as exc:
        return CodeFacts(status=_STATUS.get(type(exc), CodeStatus.INVALID))
    return CodeFacts(
        status=CodeStatus.VALID,
        typ=claims.typ,
        subject=claims.sub,
        jti=claims.jti,
        once=claims.once,
        health=claims.hs,
        last_negative_test=claims.nat,
        risk=claims.risk,
    )


def check_code(
    verifier: Verifier, code: str, now: datetime, used_jti: Callable[[str], bool]
) -> CodeFacts:
    """verify_facts plus one-time use: a ``once`` code whose jti was used is USED."""
    facts = verify_facts(verifier, code, now)
    if facts.status is CodeStatus.VALID and facts.once and facts.jti and used_jti(facts.jti):
        return CodeFacts(status=CodeStatus.USED, typ=facts.typ, subject=facts.subject,
                         jti=facts.jti, once=True)  # fmt: skip
    return facts


class UsedCodes:
    """In-memory set of spent one-time jtis (tests, and a gate's offline cache)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, jti: str) -> bool:
        return jti in self._used

    def add(self, jti: str) -> None:
        self._used.add(jti)
