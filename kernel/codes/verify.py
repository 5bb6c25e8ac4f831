"""Verifying signed codes offline with public keys only; never raises but CodeError."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature

from kernel.codes.claims import Claims, parse_claims
from kernel.codes.format import split
from kernel.codes.keys import KeyRing
from kernel.decision.facts import CodeFacts, CodeStatus
from kernel.errors import CodeError, ExpiredCode, InvalidCode, NotYetValidCode

CLOCK_SKEW = timedelta(seconds=60)
# Signature results remembered by the central (a few MB at most).
REMEMBER = 8192
# A batch with fewer new codes than this is checked on one thread (handing over costs more).
PARALLEL_FROM = 16


class Verifier:
    """Checks codes against a key ring; with ``site``, a code made for another site is invalid.

    Codes issued before the ``site`` claim existed carry none: they are accepted
    (they can only have been signed by this site's keys) until they expire or
    their key is retired.
    """

    def __init__(
        self, keyring: KeyRing, *, site: str | None = None, clock_skew: timedelta = CLOCK_SKEW
    ) -> None:
        self.keyring = keyring
        self.site = site
        self.clock_skew = clock_skew

    def verify(self, code: str, now: datetime) -> Claims:
        return self.within_window(self.signed_claims(code), now)

    def signed_claims(self, code: str) -> Claims:
        """The claims of a code whose signature checks out; the validity window is not looked at."""
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
            if self.site is not None and claims.site is not None and claims.site != self.site:
                raise InvalidCode("code of another site")
        except CodeError:
            raise
        except Exception as exc:  # anything unforeseen in hostile input is still "invalid"
            raise InvalidCode(f"unreadable code: {type(exc).__name__}") from exc
        return claims

    def within_window(self, claims: Claims, now: datetime) -> Claims:
        """The validity window, and the key's: a retired key's codes stop at its retirement."""
        retires = self.keyring.retires_at(claims.kid)
        if retires is not None and now >= retires:
            raise InvalidCode("key retired")
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
    return _valid(claims)


def _valid(claims: Claims) -> CodeFacts:
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


class CodeChecker:
    """CodeFacts for the central's batches: each signature checked once, a batch's in parallel.

    Checking an Ed25519 signature is most of the work of a passage (80 us here).
    The result depends only on the code's text and the key ring, so it is
    remembered (the newest ``remember`` codes: a card's code is shown day after
    day) and only the validity window is checked again at every use.  A batch's
    new codes are checked on two threads at once: the check releases the
    interpreter lock, so the second core does half of them.
    """

    def __init__(self, verifier: Verifier, *, remember: int = REMEMBER, threads: int = 2) -> None:
        self.verifier = verifier
        self._remember = remember
        # A code's claims if its signature checks out, else why not.
        self._signed: OrderedDict[str, Claims | CodeStatus] = OrderedDict()
        self._pool = (
            ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="code-check")
            if threads > 1
            else None
        )

    def _check(self, code: str) -> Claims | CodeStatus:
        try:
            return self.verifier.signed_claims(code)
        except CodeError as exc:
            return _STATUS.get(type(exc), CodeStatus.INVALID)

    def _check_all(self, codes: list[str]) -> list[Claims | CodeStatus]:
        return [self._check(code) for code in codes]

    def _keep(self, code: str, signed: Claims | CodeStatus) -> None:
        self._signed[code] = signed
        if len(self._signed) > self._remember:
            self._signed.popitem(last=False)

    def check_signatures(self, codes: Collection[str]) -> None:
        """Check the signatures of the codes not seen yet, in parallel when there are many."""
        new = [code for code in set(codes) if code not in self._signed]
        if self._pool is None or len(new) < PARALLEL_FROM:
            results = self._check_all(new)
        else:
            half = len(new) // 2
            theirs = self._pool.submit(self._check_all, new[:half])
            mine = self._check_all(new[half:])
            results = theirs.result() + mine
        for code, signed in zip(new, results, strict=True):
            self._keep(code, signed)

    def __call__(self, code: str, now: datetime) -> CodeFacts:
        signed = self._signed.get(code)
        if signed is None:
            signed = self._check(code)
            self._keep(code, signed)
        else:
            self._signed.move_to_end(code)
        if isinstance(signed, CodeStatus):
            return CodeFacts(status=signed)
        try:
            return _valid(self.verifier.within_window(signed, now))
        except CodeError as exc:
            return CodeFacts(status=_STATUS.get(type(exc), CodeStatus.INVALID))

    def use_keys(self, keyring: KeyRing) -> None:
        """Verify with ``keyring`` from now on; every remembered result is forgotten.

        Called between batches (on the worker's thread), never during one.
        """
        self.verifier.keyring = keyring
        self._signed.clear()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


class UsedCodes:
    """In-memory set of spent one-time jtis (tests, and a gate's offline cache)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, jti: str) -> bool:
        return jti in self._used

    def add(self, jti: str) -> None:
        self._used.add(jti)
