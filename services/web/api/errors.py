"""Every project exception to HTTP, in one table: JSON problems for the API, pages for people.

:data:`HTTP_ERRORS` names every class of the exception tree drawn in
:mod:`kernel.errors` with its status and the ``code`` programs see
(``tests/web/test_error_map.py`` walks the tree and fails on a class it lacks).
The most specific class listed wins.

An API caller gets ``{"error": code, "message": text}`` (and ``fields``, one message
per field, where a web error carries them) with the status of the
error (``Retry-After`` when rate limited, ``detail`` where the table says the
error's text explains which value is wrong: it never holds a secret).  A browser
asking for a page is sent to sign in when it has no session, and shown an error
page otherwise.  A database or broker failure is a 503, never a bare 500.

A web error raised with its own code (``InvalidInput("bad_dates")``) keeps it;
its message is ``error.<code>`` in the catalogue, or the status's general one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from kernel.decision.reasons import Reason
from kernel.errors import CampusgateError, StorageError
from services.web.auth.roles import Principal
from services.web.errors import NotAuthenticated, RateLimited, WebError
from services.web.http import render
from ui.i18n import MESSAGES, Lang, lang_from_header, t

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpError:
    """How one exception class is answered."""

    status: int
    code: str
    # The exception's text is shown as ``detail``: it says which value is wrong.
    detail: bool = False


# The message of a status when the catalogue has none for the error's own code.
STATUS_MESSAGE = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
_BACKEND_DOWN = HttpError(503, "backend_unavailable")
_GATE_SIDE = HttpError(500, "internal_error")  # raised on the gate only: here, a bug

# Keyed by full class name: the web may not import the gate's and the devices'
# modules (tests/architecture/test_imports.py), yet the table is the whole tree.
HTTP_ERRORS: dict[str, HttpError] = {
    "kernel.errors.CampusgateError": HttpError(500, "internal_error"),
    "kernel.errors.ConfigError": HttpError(422, "invalid_input", detail=True),
    "kernel.errors.CodeError": HttpError(422, Reason.INVALID_CODE),
    "kernel.errors.InvalidCode": HttpError(422, Reason.INVALID_CODE),
    "kernel.errors.ExpiredCode": HttpError(422, Reason.EXPIRED_CODE),
    "kernel.errors.NotYetValidCode": HttpError(422, Reason.INVALID_CODE),
    "kernel.errors.RosterError": HttpError(422, "invalid_input", detail=True),
    "services.roster.xlsx_limits.RosterTooLarge": HttpError(422, "roster_too_large"),
    "services.roster.photos.PhotoInvalid": HttpError(422, "invalid_input", detail=True),
    "services.roster.person.PersonInvalid": HttpError(422, "invalid_input", detail=True),
    # An empty or cut-off roster file would lock the campus out: the text says how many.
    "services.roster.importer.SyncRefused": HttpError(409, "sync_refused", detail=True),
    "kernel.errors.NotFound": HttpError(404, "not_found"),
    # The rules say no, e.g. an approval by someone who is not an approver of the host unit.
    "kernel.errors.Refused": HttpError(403, "refused"),
    # The policy editor: saved against a stale version; a level over hand-set values.
    "services.policy.service.PolicyStale": HttpError(409, "policy_stale", detail=True),
    "services.policy.service.LevelOverrides": HttpError(409, "level_overrides", detail=True),
    "services.policy.editor.PolicyInvalid": HttpError(422, "policy_invalid", detail=True),
    "services.visitors.requests.TooManyRequests": HttpError(429, "rate_limited"),
    "services.cases.service.CaseNotFound": HttpError(404, "case_not_found"),
    "services.cases.lifecycle.CaseRefused": HttpError(409, "case_refused", detail=True),
    "kernel.errors.StorageError": _BACKEND_DOWN,
    "kernel.errors.BusError": _BACKEND_DOWN,
    "services.web.errors.WebError": HttpError(400, "bad_request"),
    "services.web.errors.NotAuthenticated": HttpError(401, "not_authenticated"),
    "services.web.errors.Forbidden": HttpError(403, "forbidden"),
    # Says which line of a class batch, or which unit: only what the caller sent.
    "services.web.errors.OtherUnit": HttpError(403, "forbidden_unit", detail=True),
    "services.web.errors.NotFound": HttpError(404, "not_found"),
    "services.web.errors.Conflict": HttpError(409, "conflict"),
    "services.web.errors.InvalidInput": HttpError(422, "invalid_input", detail=True),
    "services.web.errors.RateLimited": HttpError(429, "rate_limited"),
    "services.web.errors.Unavailable": HttpError(503, "unavailable"),
    "gateway.outbox.store.OutboxError": _GATE_SIDE,
    "devices.code_reader.contract.ReaderError": _GATE_SIDE,
    "devices.code_reader.camera.sources.SourceError": _GATE_SIDE,
    "devices.code_reader.camera.sources.SourceEnded": _GATE_SIDE,
    "devices.code_reader.scanner.reader.PortError": _GATE_SIDE,
    "devices.code_reader.scanner.reader.InputEnded": _GATE_SIDE,
    "devices.relay.turnstile.RelayError": _GATE_SIDE,
}


def full_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def http_error(exc: BaseException) -> HttpError:
    """The table's entry for the most specific class of ``exc`` it lists."""
    for cls in type(exc).__mro__:
        found = HTTP_ERRORS.get(full_name(cls))
        if found is not None:
            return found
    return HTTP_ERRORS[full_name(CampusgateError)]


def error_code(exc: BaseException) -> str:
    """What programs see: a web error's own code, else the table's."""
    return exc.code if isinstance(exc, WebError) else http_error(exc).code


def _message_key(exc: BaseException) -> str:
    specific = f"error.{error_code(exc)}"
    if specific in MESSAGES:
        return specific
    return f"error.{STATUS_MESSAGE[http_error(exc).status]}"


def _detail(exc: BaseException) -> str:
    if not http_error(exc).detail:
        return ""
    return exc.detail if isinstance(exc, WebError) else str(exc)


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


def error_response(request: Request, exc: CampusgateError) -> Response:
    """The answer to ``exc``: a JSON problem for the API, a page (or sign-in) for people."""
    entry, code, detail = http_error(exc), error_code(exc), _detail(exc)
    if entry.status >= 500 and not isinstance(exc, WebError):  # a failure, not a state
        log.error("%s %s failed: %s: %s", request.method, request.url.path, code, exc)
    message = t(_lang(request), _message_key(exc))
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    if _is_api(request):
        body: dict[str, Any] = {"error": code, "message": message}
        if detail:
            body["detail"] = detail
        if isinstance(exc, WebError) and exc.fields:
            body["fields"] = exc.fields
        return JSONResponse(body, status_code=entry.status, headers=headers)
    if isinstance(exc, NotAuthenticated) and request.method == "GET":
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(
        request,
        "error.html",
        lang=_lang(request),
        principal=_signed_in(request),
        status_code=entry.status,
        message=message,
        code=code,
        detail=detail,
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CampusgateError)
        return error_response(request, exc)

    async def on_database_down(request: Request, exc: Exception) -> Response:
        # A library error that reached a router: the database's, answered as ours.
        return error_response(request, StorageError(str(exc)))

    app.add_exception_handler(CampusgateError, on_error)
    app.add_exception_handler(OperationalError, on_database_down)
