"""Sign-in, sessions and users: the auth rules, free of HTTP.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the database
keeps only its keyed hash (HMAC-SHA256 with the session secret) together with
the session's CSRF token, so a copy of the table opens no session.  Failed
sign-ins are rate limited per user name (since its last success) and per address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from schemas.names import is_valid_name
from services.web.auth import store
from services.web.auth.passwords import hash_password, needs_rehash, verify_password
from services.web.auth.roles import Principal, Role
from services.web.errors import InvalidInput, RateLimited
from services.web.i18n import Lang

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_BYTES = 32
LOGIN_NONCE_BYTES = 16


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


def login(
    *,
    session: Session,
    secret: bytes,
    policy: LoginPolicy,
    username: str,
    password: str,
    remote: str,
    now: datetime,
) -> NewSession | None:
    """A new session; None for a wrong name or password; RateLimited when over the limit.

    A failed attempt is recorded in the caller's transaction, so the caller must
    commit before it turns None into an error.
    """
    username = normalise_username(username)[:64]
    by_user, by_remote = store.failures_since(
        session=session, username=username, remote=remote, since=now - policy.window
    )
    if by_user >= policy.max_failures_user or by_remote >= policy.max_failures_remote:
        raise RateLimited(int(policy.window.total_seconds()))
    found = store.user_with_hash(session=session, username=username)
    user, stored = found if found is not None else (None, None)
    ok = verify_password(stored, password) and user is not None and user.active
    store.record_attempt(session=session, username=username, remote=remote, ok=ok, now=now)
    if not ok or user is None or stored is None:
        return None
    if needs_rehash(stored):
        store.set_password_hash(
            session=session, user_id=user.id, password_hash=hash_password(password)
        )
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
