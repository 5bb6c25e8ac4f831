"""Sign in and out by API, who am I, and my language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.web.api.common import PROBLEMS
from services.web.api.models import LangRequest, LoginRequest, SessionView
from services.web.auth import service as auth
from services.web.auth import store as user_store
from services.web.auth.roles import Principal
from services.web.context import context
from services.web.errors import NotAuthenticated
from services.web.http import (
    SESSION_COOKIE,
    clear_session_cookie,
    login_credentials,
    require,
    session_of,
    set_device_cookie,
    set_session_cookie,
)

router = APIRouter(prefix="/api/v1", tags=["session"], responses=PROBLEMS)

SignedIn = Annotated[Principal, Depends(require(None))]


@router.post("/session", response_model=SessionView)
def sign_in(body: LoginRequest, request: Request, response: Response) -> SessionView:
    """Sign in; the session cookie is set and the CSRF token returned for later calls.

    Only a JSON body is accepted, which a cross-site form cannot send.
    """
    ctx = context(request)
    new = auth.login(
        transaction=ctx.transaction,
        secret=ctx.secret,
        policy=ctx.login_policy,
        slots=ctx.login_slots,
        credentials=login_credentials(request, body.username, body.password),
        now=ctx.now(),
    )
    if new is None:
        raise NotAuthenticated("login_failed")
    set_session_cookie(request, response, new.token, ctx.settings.web.session_ttl_s)
    set_device_cookie(request, response, new.principal.username)
    p = new.principal
    return SessionView(
        username=p.username,
        role=p.role,
        gates=sorted(p.gates),
        lang=p.lang,
        csrf_token=p.csrf_token,
        expires_at=new.expires_at,
    )


@router.delete("/session", status_code=204)
def sign_out(principal: SignedIn, request: Request, response: Response) -> None:
    ctx = context(request)
    with ctx.transaction() as session:
        auth.logout(
            session=session, secret=ctx.secret, token=request.cookies.get(SESSION_COOKIE, "")
        )
    clear_session_cookie(response)


@router.get("/me", response_model=SessionView)
def me(principal: SignedIn, request: Request) -> SessionView:
    _principal, expires_at = session_of(request)
    return SessionView(
        username=principal.username,
        role=principal.role,
        gates=sorted(principal.gates),
        lang=principal.lang,
        csrf_token=principal.csrf_token,
        expires_at=expires_at,
    )


@router.put("/me/lang", status_code=204)
def set_lang(body: LangRequest, principal: SignedIn, request: Request) -> None:
    with context(request).transaction() as session:
        user_store.set_user_fields(session=session, username=principal.username, lang=body.lang)
