"""Pages: sign in, sign out, the home redirect, and user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.api.models import PLAIN
from services.web.auth import service as auth
from services.web.auth import store as user_store
from services.web.auth.roles import Permission, Principal, Role
from services.web.context import context
from services.web.errors import NotAuthenticated, RateLimited
from services.web.http import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_MAX_AGE_S,
    SESSION_COOKIE,
    check_csrf,
    clear_session_cookie,
    cookie_secure,
    home_path,
    login_credentials,
    render,
    require,
    session_of,
    set_device_cookie,
    set_session_cookie,
)
from services.web.notify import store as letters
from ui.i18n import LANGS, lang_from_header, t

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_page(
    request: Request, next_path: str | None, error: str = "", status: int = 200
) -> Response:
    ctx = context(request)
    nonce = request.cookies.get(LOGIN_COOKIE) or auth.new_login_nonce()
    response = render(
        request,
        "login.html",
        status_code=status,
        login_csrf=auth.login_csrf(ctx.secret, nonce),
        next_path=next_path or "",
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/login",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    try:
        principal, _ = session_of(request)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_path(principal), status_code=303)


@router.get("/login")
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    return _login_page(request, _safe_next(next))


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64, pattern=PLAIN)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = context(request)
    lang = lang_from_header(request.headers.get("accept-language"))
    if not auth.check_login_csrf(ctx.secret, request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _login_page(request, _safe_next(next), t(lang, "login.expired"), 403)
    try:
        new = auth.login(
            transaction=ctx.transaction,
            secret=ctx.secret,
            policy=ctx.login_policy,
            slots=ctx.login_slots,
            credentials=login_credentials(request, username, password),
            now=ctx.now(),
        )
    except RateLimited as limited:
        if limited.code == "login_busy":
            message = t(lang, "login.busy")
        else:
            message = t(lang, "login.rate_limited", minutes=max(1, limited.retry_after_s // 60))
        page = _login_page(request, _safe_next(next), message, 429)
        page.headers["Retry-After"] = str(limited.retry_after_s)
        return page
    if new is None:
        return _login_page(request, _safe_next(next), t(lang, "login.failed"), 401)
    response = RedirectResponse(_safe_next(next) or home_path(new.principal), status_code=303)
    set_session_cookie(request, response, new.token, ctx.settings.web.session_ttl_s)
    set_device_cookie(request, response, new.principal.username)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    ctx = context(request)
    try:
        principal, _ = session_of(request)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    check_csrf(request, principal, csrf_token)
    with ctx.transaction() as session:
        auth.logout(
            session=session, secret=ctx.secret, token=request.cookies.get(SESSION_COOKIE, "")
        )
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/admin/users")
def users_page(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.USER_MANAGE))]
) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        users = user_store.list_users(session=session)
        dead = letters.dead_letters(session=session, include_resolved=False, limit=100)
    return render(
        request,
        "users.html",
        principal=principal,
        users=users,
        dead_letters=dead,
        roles=[r.value for r in Role],
        langs=LANGS,
    )
