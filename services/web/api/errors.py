"""Domain errors to HTTP, in one place: JSON problems for the API, pages for people.

An API caller gets ``{"error": code, "message": text}`` with the status of the
error class (and ``Retry-After`` when rate limited).  A browser asking for a
page is sent to sign in when it has no session, and shown an error page
otherwise.  A database or broker failure is a 503, never a bare 500.

The administration services' own errors (``kernel.errors``) are mapped here
too: ``ConfigError`` and ``RosterError`` (bad input) -> 422, ``NotFound`` ->
404, ``Refused`` (the rules say no, e.g. an approval by someone who is not an
approver of the host unit) -> 403.  A 422 carries the service's explanation
as ``detail``: it says which value is wrong, and never holds a secret.
"""

from __future__ import annotations

import logging
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from kernel.errors import BusError, ConfigError, Refused, RosterError, StorageError
from kernel.errors import NotFound as ServiceNotFound
from services.web.auth.roles import Principal
from services.web.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    Unavailable,
    WebError,
)
from services.web.http import render
from services.web.i18n import MESSAGES, Lang, lang_from_header, t

log = logging.getLogger(__name__)


def _message_key(error: WebError) -> str:
    specific = f"error.{error.code}"
    return specific if specific in MESSAGES else f"error.{type(error).code}"


def _signed_in(request: Request) -> Principal | None:
    found = getattr(request.state, "principal", None)  # set by http.session_of
    return None if found is None else cast(Principal, found[0])


def _lang(request: Request) -> Lang:
    principal = _signed_in(request)
    if principal is not None:
        return principal.lang
    return lang_from_header(request.headers.get("accept-language"))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def web_error_response(request: Request, error: WebError) -> Response:
    lang = _lang(request)
    message = t(lang, _message_key(error))
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
    if _is_api(request):
        body = {"error": error.code, "message": message}
        if isinstance(error, InvalidInput) and error.detail:
            body["detail"] = error.detail
        return JSONResponse(body, status_code=error.status, headers=headers)
    if isinstance(error, NotAuthenticated) and request.method == "GET":
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(
        request,
        "error.html",
        lang=lang,
        principal=_signed_in(request),
        status_code=error.status,
        message=message,
        code=error.code,
        detail=error.detail if isinstance(error, InvalidInput) else "",
    )


def service_error(exc: Exception) -> WebError:
    """A ``kernel.errors`` error as the web error it means."""
    if isinstance(exc, ServiceNotFound):
        return NotFound("not_found", str(exc))
    if isinstance(exc, Refused):
        return Forbidden("refused", str(exc))
    return InvalidInput("invalid_input", str(exc))


def install_error_handlers(app: FastAPI) -> None:
    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return web_error_response(request, exc)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        log.error("backend unavailable for %s %s: %s", request.method, request.url.path, exc)
        return web_error_response(request, Unavailable("backend_unavailable"))

    async def on_service_error(request: Request, exc: Exception) -> Response:
        return web_error_response(request, service_error(exc))

    app.add_exception_handler(WebError, on_web_error)
    for service_error_type in (ConfigError, RosterError, ServiceNotFound, Refused):
        app.add_exception_handler(service_error_type, on_service_error)
    for backend_error in (StorageError, BusError, OperationalError):
        app.add_exception_handler(backend_error, on_unavailable)
