"""Domain errors to HTTP, in one place: JSON problems for the API, pages for people.

An API caller gets ``{"error": code, "message": text}`` with the status of the
error class (and ``Retry-After`` when rate limited).  A browser asking for a
page is sent to sign in when it has no session, and shown an error page
otherwise.  A database or broker failure is a 503, never a bare 500.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from services.errors import BusError, StorageError
from services.web.errors import NotAuthenticated, RateLimited, Unavailable, WebError
from services.web.http import render
from services.web.i18n import lang_from_header, t

log = logging.getLogger(__name__)


def _message_key(error: WebError) -> str:
    specific = f"error.{error.code}"
    return specific if t("en", specific) != specific else f"error.{type(error).code}"


def _lang(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        lang: str = principal[0].lang
        return lang
    return lang_from_header(request.headers.get("accept-language"))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def web_error_response(request: Request, error: WebError) -> Response:
    lang = "zh-CN" if _lang(request) == "zh-CN" else "en"
    message = t(lang, _message_key(error))  # type: ignore[arg-type]
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
    if _is_api(request):
        return JSONResponse(
            {"error": error.code, "message": message}, status_code=error.status, headers=headers
        )
    if isinstance(error, NotAuthenticated) and request.method == "GET":
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    signed_in = getattr(request.state, "principal", None)
    return render(
        request,
        "error.html",
        lang=lang,  # type: ignore[arg-type]
        principal=signed_in[0] if signed_in else None,
        status_code=error.status,
        message=message,
        code=error.code,
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return web_error_response(request, exc)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        log.error("backend unavailable for %s %s: %s", request.method, request.url.path, exc)
        return web_error_response(request, Unavailable("backend_unavailable"))

    app.add_exception_handler(WebError, on_web_error)
    for backend_error in (StorageError, BusError, OperationalError):
        app.add_exception_handler(backend_error, on_unavailable)
