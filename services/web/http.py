"""HTTP glue shared by pages and API: the session cookie, the principal, CSRF, templates.

Every endpoint declares the permission it needs with ``Depends(require(...))``;
the dependency signs the request in from its cookie (401 without one), checks the
role (403) and, for every unsafe method, the CSRF token (``X-CSRF-Token`` header,
or the ``csrf_token`` field of a form), so no POST reaches a handler without it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from kernel.localtime import local_times
from services.web.auth import devices
from services.web.auth import service as auth
from services.web.auth.roles import Permission, Principal, Role
from services.web.context import context
from services.web.errors import Forbidden, NotAuthenticated
from services.web.peer import Peer, peer_of
from ui import TEMPLATES
from ui.i18n import Lang, catalogue, lang_from_header, say, t, word
from ui.pages import script_json
from ui.records import params_text

SESSION_COOKIE = "cg_session"
LOGIN_COOKIE = "cg_login"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_COOKIE_MAX_AGE_S = 3600


# The central's own pages, then those it shares with the gate's local kiosk (ui/).
templates = Jinja2Templates(directory=[str(Path(__file__).parent / "templates"), str(TEMPLATES)])
# Every template embeds JSON through this filter (already safe for the page: no ``| safe``).
templates.env.filters["script_json"] = lambda value: Markup(script_json(value))  # noqa: S704


def session_of(request: Request) -> tuple[Principal, datetime]:
    """The signed-in principal and when its session ends; NotAuthenticated if none."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        found: tuple[Principal, datetime] = cached
        return found
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    ctx = context(request)
    with ctx.transaction() as session:
        result = auth.principal_for(session=session, secret=ctx.secret, token=token, now=ctx.now())
    if result is None:
        raise NotAuthenticated("session_expired")
    request.state.principal = result
    return result


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
        raise Forbidden("bad_csrf", "missing or wrong CSRF token")


def require(permission: Permission | None) -> Callable[[Request], Principal]:
    """A dependency: the principal, if it may use ``permission`` (None: any signed-in user)."""

    def dependency(request: Request) -> Principal:
        principal, _expires = session_of(request)
        if permission is not None:
            principal.require(permission)
        check_csrf(request, principal)
        return principal

    dependency.__name__ = f"require_{permission.value.replace('.', '_') if permission else 'user'}"
    return dependency


def require_any(*permissions: Permission) -> Callable[[Request], Principal]:
    """A dependency: the principal, if it may use at least one of ``permissions``."""

    def dependency(request: Request) -> Principal:
        principal, _expires = session_of(request)
        if not any(principal.can(p) for p in permissions):
            principal.require(permissions[0])  # the refusal names the first
        check_csrf(request, principal)
        return principal

    dependency.__name__ = "require_" + "_or_".join(p.value.replace(".", "_") for p in permissions)
    return dependency


def client_peer(request: Request) -> Peer:
    """The client's address and scheme, through the configured trusted proxies only."""
    return peer_of(
        host=request.client.host if request.client else None,
        scheme=request.url.scheme,
        forwarded_for=request.headers.getlist("x-forwarded-for"),
        forwarded_proto=request.headers.get("x-forwarded-proto"),
        proxies=context(request).settings.web.trusted_proxies,
    )


def cookie_secure(request: Request) -> bool:
    """Secure when the request came by HTTPS, or when the settings say always."""
    return context(request).settings.web.cookie_secure or client_peer(request).https


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/",
    )


def set_device_cookie(request: Request, response: Response, username: str) -> None:
    """Remember that ``username`` signed in on this browser (see ``auth.devices``)."""
    value = devices.remember(
        context(request).secret, request.cookies.get(devices.DEVICE_COOKIE), username
    )
    response.set_cookie(
        devices.DEVICE_COOKIE,
        value,
        max_age=devices.DEVICE_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/",
    )


def login_credentials(request: Request, username: str, password: str) -> auth.Credentials:
    return auth.Credentials(
        username=username,
        password=password,
        address=client_peer(request).address,
        device_cookie=request.cookies.get(devices.DEVICE_COOKIE),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def home_path(principal: Principal) -> str:
    if principal.role is Role.GUARD:
        gates = sorted(principal.gates)
        return f"/kiosk/{gates[0]}" if len(gates) == 1 else "/kiosk"
    if principal.role is Role.CLINIC:
        return "/clinic"
    if principal.role in (Role.APPROVER, Role.UNIT_OFFICER):
        return "/unit"
    return "/dashboard"


def render(
    request: Request,
    name: str,
    *,
    lang: Lang | None = None,
    principal: Principal | None = None,
    status_code: int = 200,
    **values: Any,
) -> Response:
    """A page in the user's language, with the catalogue for its scripts."""
    language: Lang = (
        principal.lang
        if principal
        else lang or lang_from_header(request.headers.get("accept-language"))
    )

    def translate(key: str, **kw: object) -> str:
        return t(language, key, **kw)

    page_data = values.pop("page_data", {})
    context_values = {
        "lang": language,
        "t": translate,
        # A stored value in words (``word('kind', p.kind)``), an action's parameters and a
        # stored text's times on the site's clock (``local_text(r.params, tz)``).
        "word": lambda family, value: word(language, family, value),
        "params_text": lambda text, tz: params_text(language, text, tz),
        "local_text": local_times,
        "say": lambda text: say(language, text),
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else "",
        "can": (lambda p: principal.can(Permission(p))) if principal else (lambda _p: False),
        "page_data": {"lang": language, "messages": catalogue(language), **page_data},
        **values,
    }
    return templates.TemplateResponse(request, name, context_values, status_code=status_code)
