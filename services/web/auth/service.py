"""Sign-in, sessions and users: the auth rules, free of HTTP.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the database
keeps only its keyed hash (HMAC-SHA256 with the session secret) together with
the session's CSRF token, so a copy of the table opens no session.  Failed
sign-ins are rate limited per user name (since its last success) and per address,
counted atomically; from a known device (:mod:`.devices`) per device instead.  Password
checks run in a bounded number of slots (:mod:`.slots`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from schemas.names import is_valid_name
from services.web.auth import store
from services.web.auth.devices import known_device
from services.web.auth.passwords import hash_password, needs_rehash, verify_password
from services.web.auth.roles import Principal, Role
from services.web.auth.slots import HashSlots
from services.web.errors import InvalidInput, RateLimited
from ui.i18n import Lang

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_BYTES = 32
LOGIN_NONCE_BYTES = 16
Transaction = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    session_ttl: timedelta
    window: timedelta
    max_failures_user: int
    max_failures_remote: int


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    principal: Principal
    expires_at: datetime


def token_hash(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def login_csrf(secret: bytes, nonce: str) -> str:
    """The login form's CSRF token, bound to a nonce kept in a short-lived cookie."""
    return hmac.new(secret, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def check_login_csrf(secret: bytes, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(login_csrf(secret, nonce), token)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(LOGIN_NONCE_BYTES)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def validate_new_user(username: str, role: Role, gates: frozenset[str]) -> None:
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput("bad_username", "2-64 of a-z 0-9 . _ -, starting with a letter or digit")
    bad = sorted(g for g in gates if not is_valid_name(g))
    if bad:
        raise InvalidInput("bad_gate", f"not gate names: {', '.join(bad)}")
    if role is Role.GUARD and not gates:
        raise InvalidInput("guard_needs_gates", "a guard is bound to at least one gate")
    if role is not Role.GUARD and gates:
        raise InvalidInput("gates_for_guards_only", "only guards are bound to gates")


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role,
    gates: frozenset[str] = frozenset(),
    lang: Lang = "zh-CN",
    now: datetime,
) -> store.User:
    username = normalise_username(username)
    validate_new_user(username, role, gates)
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise InvalidInput("bad_password", str(exc)) from exc
    return store.insert_user(
        session=session,
        username=username,
        password_hash=password_hash,
        role=role,
        gates=gates,
        lang=lang,
        now=now,
    )


def _principal(user: store.User, csrf_token: str) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        gates=user.gates,
        lang=user.lang,
        csrf_token=csrf_token,
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """One sign-in attempt: what was typed, from where, and the device cookie it carried."""

    username: str
    password: str
    address: str
    device_cookie: str | None = None


def _reserve(
    transaction: Transaction, policy: LoginPolicy, username: str, source: str, now: datetime
) -> int:
    """Count this attempt in, then check the limits; RateLimited (and not counted) if over.

    The attempt is committed before anything is counted, so of any number of attempts at
    once the k-th to count sees at least k: no more than the limit are ever checked, on
    SQLite or PostgreSQL, whatever the interleaving.
    """
    with transaction() as session:
        attempt_id = store.reserve_attempt(
            session=session, username=username, source=source, now=now
        )
    with transaction() as session:
        by_user, by_source = store.failures_since(
            session=session, username=username, source=source, since=now - policy.window
        )
        if by_user <= policy.max_failures_user and by_source <= policy.max_failures_remote:
            return attempt_id
        store.drop_attempt(session=session, attempt_id=attempt_id)
    raise RateLimited(int(policy.window.total_seconds()))


def login(
    *,
    transaction: Transaction,
    secret: bytes,
    policy: LoginPolicy,
    slots: HashSlots,
    credentials: Credentials,
    now: datetime,
) -> NewSession | None:
    """A new session; None for a wrong name or password; RateLimited when over a limit
    (``login_busy`` when every password-check slot is taken).

    From a device where this user signed in before, attempts are counted per device, so
    guesses at the name from elsewhere never lock its owner out of their own browser.
    Each step commits on its own: no transaction is open while the password is hashed.
    """
    username = normalise_username(credentials.username)[:64]
    device = known_device(secret, credentials.device_cookie, username)
    source = store.device_source(device) if device else credentials.address
    attempt_id = _reserve(transaction, policy, username, source, now)
    with transaction() as session:
        found = store.user_with_hash(session=session, username=username)
    user, stored = found if found is not None else (None, None)
    try:
        with slots.hold(known_device=device is not None):
            ok = verify_password(stored, credentials.password) and bool(user and user.active)
            rehashed = (
                hash_password(credentials.password)
                if ok and stored and needs_rehash(stored)
                else None
            )
    except RateLimited:
        with transaction() as session:  # busy: nothing was tried, nothing is counted
            store.drop_attempt(session=session, attempt_id=attempt_id)
        raise
    with transaction() as session:
        store.finish_attempt(session=session, attempt_id=attempt_id, ok=ok)
        if not ok or user is None:
            return None
        if rehashed is not None:
            store.set_password_hash(session=session, user_id=user.id, password_hash=rehashed)
        store.purge_expired(session=session, now=now, attempts_before=now - 2 * policy.window)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = now + policy.session_ttl
        store.insert_session(
            session=session,
            token_hash=token_hash(secret, token),
            user_id=user.id,
            csrf_token=csrf_token,
            now=now,
            expires_at=expires_at,
        )
    return NewSession(token, _principal(user, csrf_token), expires_at)


def principal_for(
    *, session: Session, secret: bytes, token: str, now: datetime
) -> tuple[Principal, datetime] | None:
    """The principal of a session token and when the session ends; None if none."""
    if not token or len(token) > 128:
        return None
    info = store.session_by_token(session=session, token_hash=token_hash(secret, token), now=now)
    if info is None:
        return None
    return _principal(info.user, info.csrf_token), info.expires_at


def logout(*, session: Session, secret: bytes, token: str) -> None:
    store.delete_session(session=session, token_hash=token_hash(secret, token))
