"""Repository of users, sessions and login attempts; the session is a keyword argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.storage.web_models import LoginAttemptRow, WebSessionRow, WebUserRow
from services.web.auth.roles import Role
from services.web.errors import Conflict
from ui.i18n import Lang, lang_or_default


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


DEVICE_SOURCE = "device:"


def device_source(device_id: str) -> str:
    """The ``remote`` of an attempt from a known device: counted per device, not address."""
    return f"{DEVICE_SOURCE}{device_id}"[:64]


def reserve_attempt(*, session: Session, username: str, source: str, now: datetime) -> int:
    """Record an attempt before its password is checked; it counts as a failure until
    :func:`finish_attempt` says otherwise."""
    row = LoginAttemptRow(username=username[:64], remote=source[:64], at=now, ok=False)
    session.add(row)
    session.flush()
    return row.id


def finish_attempt(*, session: Session, attempt_id: int, ok: bool) -> None:
    session.execute(update(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id).values(ok=ok))


def drop_attempt(*, session: Session, attempt_id: int) -> None:
    """Forget an attempt refused before its check (it tried nothing)."""
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id))


def failures_since(
    *, session: Session, username: str, source: str, since: datetime
) -> tuple[int, int]:
    """Failed (and pending) attempts since ``since``: (for the user name, for the source).

    From a known device (``source`` is :func:`device_source`) the user name's count is the
    device's own, since its last success.  Otherwise it is the name's attempts from every
    address, since its last success from one; the address's count is its own.
    """
    attempt = LoginAttemptRow
    if source.startswith(DEVICE_SOURCE):
        mine = (attempt.username == username, attempt.remote == source)
    else:
        mine = (attempt.username == username, ~attempt.remote.startswith(DEVICE_SOURCE))
    last_ok = session.scalar(select(func.max(attempt.at)).where(*mine, attempt.ok))
    user_since = max(since, last_ok) if last_ok is not None else since
    by_user = session.scalar(
        select(func.count()).where(*mine, attempt.at >= user_since, attempt.ok.is_(False))
    )
    if source.startswith(DEVICE_SOURCE):
        return by_user or 0, by_user or 0
    by_source = session.scalar(
        select(func.count()).where(
            attempt.remote == source, attempt.at >= since, attempt.ok.is_(False)
        )
    )
    return by_user or 0, by_source or 0
