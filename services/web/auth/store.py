"""Repository of users, sessions and login attempts; the session is a keyword argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.storage.models import LoginAttemptRow, WebSessionRow, WebUserRow
from services.web.auth.roles import Role
from services.web.errors import Conflict
from services.web.i18n import Lang, lang_or_default


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: Role
    gates: frozenset[str]
    lang: Lang
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: User
    csrf_token: str
    expires_at: datetime


def _user(row: WebUserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        gates=frozenset(g for g in row.gates.split(";") if g),
        lang=lang_or_default(row.lang),
        active=row.active,
        created_at=row.created_at,
    )


def insert_user(
    *,
    session: Session,
    username: str,
    password_hash: str,
    role: Role,
    gates: frozenset[str],
    lang: Lang,
    now: datetime,
) -> User:
    row = WebUserRow(
        username=username,
        password_hash=password_hash,
        role=role.value,
        gates=";".join(sorted(gates)),
        lang=lang,
        active=True,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("user_exists", f"user {username!r} exists") from exc
    return _user(row)


def user_with_hash(*, session: Session, username: str) -> tuple[User, str] | None:
    row = session.scalar(select(WebUserRow).where(WebUserRow.username == username))
    return None if row is None else (_user(row), row.password_hash)


def list_users(*, session: Session) -> list[User]:
    return [_user(r) for r in session.scalars(select(WebUserRow).order_by(WebUserRow.username))]


def set_user_fields(*, session: Session, username: str, **fields: object) -> bool:
    result = session.execute(
        update(WebUserRow).where(WebUserRow.username == username).values(**fields)
    )
    return bool(getattr(result, "rowcount", 0))


def set_password_hash(*, session: Session, user_id: int, password_hash: str) -> None:
    session.execute(
        update(WebUserRow).where(WebUserRow.id == user_id).values(password_hash=password_hash)
    )


def insert_session(
    *,
    session: Session,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        WebSessionRow(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
        )
    )


def session_by_token(*, session: Session, token_hash: str, now: datetime) -> SessionInfo | None:
    row = session.execute(
        select(WebSessionRow, WebUserRow)
        .join(WebUserRow, WebUserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.token_hash == token_hash, WebSessionRow.expires_at > now)
    ).first()
    if row is None:
        return None
    web_session, user = row
    if not user.active:
        return None
    return SessionInfo(_user(user), web_session.csrf_token, web_session.expires_at)


def delete_session(*, session: Session, token_hash: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))


def delete_sessions_of(*, session: Session, username: str) -> None:
    ids = select(WebUserRow.id).where(WebUserRow.username == username).scalar_subquery()
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == ids))


def purge_expired(*, session: Session, now: datetime, attempts_before: datetime) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < attempts_before))


def record_attempt(
    *, session: Session, username: str, remote: str, ok: bool, now: datetime
) -> None:
    session.add(LoginAttemptRow(username=username[:64], remote=remote[:64], at=now, ok=ok))


def failures_since(
    *, session: Session, username: str, remote: str, since: datetime
) -> tuple[int, int]:
    """Failed attempts since ``since`` for the user name (after its last success) and address."""
    last_ok = session.scalar(
        select(func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.username == username, LoginAttemptRow.ok
        )
    )
    user_since = max(since, last_ok) if last_ok is not None else since
    by_user = session.scalar(
        select(func.count()).where(
            LoginAttemptRow.username == username,
            LoginAttemptRow.at > user_since,
            LoginAttemptRow.ok.is_(False),
        )
    )
    by_remote = session.scalar(
        select(func.count()).where(
            LoginAttemptRow.remote == remote,
            LoginAttemptRow.at > since,
            LoginAttemptRow.ok.is_(False),
        )
    )
    return by_user or 0, by_remote or 0
