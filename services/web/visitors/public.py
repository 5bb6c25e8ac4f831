"""The visitor's own pages, without signing in: the request form and its status link.

CSRF without a session: the form carries a token keyed to a random cookie (as the
sign-in form does), so another site cannot post it in the visitor's name; the JSON
API takes JSON only (a cross-site form cannot send it without a CORS preflight,
which this app never grants).  Every POST counts against its address's limit
before anything is read; a refused request stores nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from kernel.errors import CampusgateError
from services.visitors import review, units
from services.visitors.forms import VisitorForm
from services.visitors.requests import TooManyRequests
from services.visitors.risk import risk_areas
from services.web.admin.service import qr_png
from services.web.api.errors import error_code, http_error
from services.web.context import context
from services.web.http import client_peer, cookie_secure, render
from services.web.visitors import service
from ui.i18n import Lang, t

router = APIRouter(include_in_schema=False)

FORM_COOKIE = "cg_visit"
FORM_COOKIE_MAX_AGE_S = 2 * 3600
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,64}$"  # noqa: S105 - a pattern, not a secret
TokenPath = Annotated[str, Path(pattern=TOKEN_PATTERN)]
TEXT_FIELDS = ("visitor_name", "phone", "document_type", "document_number", "host_unit",
               "host_person", "purpose", "plate", "email", "guarantor")  # fmt: skip
MAX_FIELD_CHARS = 2000
MAX_FORM_BYTES = 32 * 1024  # the whole form, url-encoded: a few hundred bytes when typed
MAX_FORM_FIELDS = 40


def form_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"visit:" + nonce.encode(), hashlib.sha256).hexdigest()


def _lang(request: Request) -> Lang:
    """zh-CN first: English only when asked for with ``?lang=en``."""
    return "en" if request.query_params.get("lang") == "en" else "zh-CN"


def _form_page(
    request: Request, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    ctx = context(request)
    nonce = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    with ctx.transaction() as session:
        known = units.known_units(session=session)
        areas = risk_areas(session=session, site=ctx.site)
    response = render(
        request, "visit.html", lang=_lang(request), status_code=status, units=known,
        areas=areas, values=values, error=error, form_token=form_token(ctx.secret, nonce),
    )  # fmt: skip
    response.set_cookie(
        FORM_COOKIE, nonce, max_age=FORM_COOKIE_MAX_AGE_S, httponly=True, samesite="strict",
        secure=cookie_secure(request), path="/visit",
    )  # fmt: skip
    return response


@router.get("/visit")
def visit_form(request: Request) -> Response:
    return _form_page(request, {})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def _when(day: str, clock: str, request: Request) -> datetime:
    tz = context(request).tz
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)


def form_values(raw: dict[str, Any], request: Request) -> VisitorForm:
    """The posted form as a :class:`VisitorForm` (ValueError / ValidationError if it is not)."""
    values = {k: str(raw.get(k, ""))[:MAX_FIELD_CHARS] for k in TEXT_FIELDS}
    day = str(raw.get("day", ""))[:20]
    return VisitorForm.model_validate(
        {
            **values,
            "document_type": values["document_type"] or "id_card",
            "valid_from": _when(day, str(raw.get("time_from", ""))[:8], request),
            "valid_until": _when(day, str(raw.get("time_until", ""))[:8], request),
            "companions": _lines(str(raw.get("companions", ""))[:MAX_FIELD_CHARS]),
            "places": _lines(str(raw.get("places", ""))[:MAX_FIELD_CHARS]),
            "fever_free": raw.get("fever_free") == "yes",
            "last_test_on": str(raw.get("last_test_on", ""))[:10] or None,
        }
    )


def _problem(lang: Lang, exc: Exception) -> tuple[str, int]:
    if isinstance(exc, ValidationError):
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        return t(
            lang, "visit.error.fields", fields=", ".join(t(lang, f"visit.{f}") for f in fields)
        ), 422
    if isinstance(exc, CampusgateError):
        key = f"error.{error_code(exc)}"
        return f"{t(lang, key)}: {exc}", http_error(exc).status
    return t(lang, "visit.error.values"), 422  # a date or time that does not parse


@router.post("/visit")
async def visit_submit(request: Request) -> Response:
    """The form posted: read (bounded, url-encoded), then checked in a worker thread."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    raw: dict[str, str] = {}
    if len(body) <= MAX_FORM_BYTES:
        try:
            raw = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                 max_num_fields=MAX_FORM_FIELDS))  # fmt: skip
        except ValueError:
            raw = {}
    return await asyncio.to_thread(_submit, request, raw, len(body) <= MAX_FORM_BYTES)


def _submit(request: Request, raw: dict[str, str], whole: bool) -> Response:
    """Count the attempt first, then the form token, then the request itself."""
    ctx = context(request)
    lang = _lang(request)
    shown = {k: v[:MAX_FIELD_CHARS] for k, v in raw.items() if k != "document_number"}
    try:
        service.count_attempt(ctx, client_peer(request).address)
    except TooManyRequests as exc:
        return _form_page(request, shown, _problem(lang, exc)[0], 429)
    if not whole:
        return _form_page(request, {}, t(lang, "visit.error.values"), 413)
    nonce = request.cookies.get(FORM_COOKIE)
    sent = raw.get("form_token", "")
    if not nonce or not hmac.compare_digest(sent.encode(), form_token(ctx.secret, nonce).encode()):
        return _form_page(request, shown, t(lang, "visit.error.expired"), 403)
    try:
        form = form_values(raw, request)
        with ctx.transaction() as session:
            made = service.submit(session, ctx, form)
    except (ValueError, CampusgateError) as exc:
        message, status = _problem(lang, exc)
        return _form_page(
            request, shown, message, 429 if isinstance(exc, TooManyRequests) else status
        )
    return RedirectResponse(f"/visit/status/{made.token}", status_code=303)


@router.get("/visit/status/{token}")
def visit_status(token: TokenPath, request: Request) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        found = review.status_of(session=session, token=token, now=ctx.now())
    image = ""
    if found.code:
        image = base64.b64encode(qr_png(found.code)).decode()
    response = render(request, "visit_status.html", lang=_lang(request), found=found,
                      qr=image, tz=ctx.tz)  # fmt: skip
    response.headers["cache-control"] = "no-store"
    return response
