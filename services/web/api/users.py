"""Administration of users, and of notifications that could not be delivered."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.web.api.common import PROBLEMS, UserPath
from services.web.api.models import DeadLetterView, NewUserRequest, UserActiveRequest, UserView
from services.web.auth import service as auth
from services.web.auth import store as user_store
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.errors import NotFound
from services.web.http import require
from services.web.notify import store as letters

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.USER_MANAGE))]
LETTER_LIMIT = 200


def _user_view(user: user_store.User) -> UserView:
    return UserView(
        username=user.username,
        role=user.role,
        gates=sorted(user.gates),
        lang=user.lang,
        active=user.active,
        created_at=user.created_at,
    )


def _letter_view(letter: letters.DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        id=letter.id,
        notice_id=letter.notice_id,
        channel=letter.channel,
        target=letter.target,
        kind=letter.kind,
        error=letter.error,
        attempts=letter.attempts,
        created_at=letter.created_at,
        resolved_at=letter.resolved_at,
    )


@router.get("/users", response_model=list[UserView])
def list_users(principal: Admin, request: Request) -> list[UserView]:
    with context(request).transaction() as session:
        return [_user_view(u) for u in user_store.list_users(session=session)]


@router.post("/users", response_model=UserView, status_code=201)
def add_user(body: NewUserRequest, principal: Admin, request: Request) -> UserView:
    """A new user; a guard is bound to at least one gate, other roles to none."""
    ctx = context(request)
    with ctx.transaction() as session:
        user = auth.create_user(
            session=session,
            username=body.username,
            password=body.password,
            role=body.role,
            gates=frozenset(body.gates),
            lang=body.lang,
            now=ctx.now(),
        )
    return _user_view(user)


@router.put("/users/{username}/active", status_code=204)
def set_active(
    username: UserPath, body: UserActiveRequest, principal: Admin, request: Request
) -> None:
    """Enable or disable a user; disabling ends its sessions at once."""
    with context(request).transaction() as session:
        if not user_store.set_user_fields(session=session, username=username, active=body.active):
            raise NotFound("user_not_found", username)
        if not body.active:
            user_store.delete_sessions_of(session=session, username=username)


@router.get("/notifications/dead-letters", response_model=list[DeadLetterView])
def dead_letters(
    principal: Admin, request: Request, resolved: Annotated[bool, Query()] = False
) -> list[DeadLetterView]:
    """Notifications that exhausted their retries (``resolved=true``: also those sent since)."""
    with context(request).transaction() as session:
        found = letters.dead_letters(session=session, include_resolved=resolved, limit=LETTER_LIMIT)
    return [_letter_view(x) for x in found]


@router.post("/notifications/dead-letters/{letter_id}/retry", response_model=DeadLetterView)
async def retry_dead_letter(
    letter_id: Annotated[int, Path(ge=1, le=2**62)], principal: Admin, request: Request
) -> DeadLetterView:
    """Send a dead letter once more; resolved when it goes through."""
    ctx = context(request)

    def load() -> letters.DeadLetter | None:
        with ctx.transaction() as session:
            return letters.dead_letter(session=session, letter_id=letter_id)

    letter = await asyncio.to_thread(load)
    if letter is None:
        raise NotFound("dead_letter_not_found", str(letter_id))
    if letter.resolved_at is None and await ctx.notifier.redeliver(letter):

        def resolve() -> letters.DeadLetter | None:
            with ctx.transaction() as session:
                letters.resolve(session=session, letter_id=letter_id, now=ctx.now())
                return letters.dead_letter(session=session, letter_id=letter_id)

        letter = await asyncio.to_thread(resolve) or letter
    return _letter_view(letter)
