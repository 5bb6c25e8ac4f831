"""My code: open an enrolment link, set a PIN, sign in, see a fresh code (no staff login).

Thin routes over ``services.enrolment`` (links, PINs, fresh codes); the phone
page (``me.html``, ``static/js/me.js``) fetches ``/me/code`` every
``mycode_refresh_s`` and shows it as a QR with the name and today's status.
Other features add panels below the code through ``services.web.me.panels``.
"""

from __future__ import annotations

import base64
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kernel.errors import ConfigError
from services.enrolment import links, mycode, pins
from services.storage.audit_log import log_action
from services.web.admin.service import signing_key
from services.web.auth import service as auth
from services.web.context import context
from services.web.errors import NotAuthenticated
from services.web.http import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_MAX_AGE_S,
    client_peer,
    cookie_secure,
    render,
)
from services.web.me import panels
from services.web.me.session import clear_me_cookie, person_of, set_me_cookie

router = APIRouter(include_in_schema=False)
QR_SCALE = 5
MAX_PHOTO_BYTES = 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def photo_uri(photo: bytes | None) -> str | None:
    """A JPEG or PNG photo as a data URI for the page (anything else, or too big: none)."""
    if photo is None or len(photo) > MAX_PHOTO_BYTES:
        return None
    for magic, media_type in PHOTO_TYPES.items():
        if photo.startswith(magic):
            return f"data:{media_type};base64,{base64.b64encode(photo).decode()}"
    return None


def _login(request: Request, error: str = "", status: int = 200) -> Response:
    ctx = context(request)
    nonce = request.cookies.get(LOGIN_COOKIE) or auth.new_login_nonce()
    response = render(request, "me_login.html", status_code=status, error=error,
                      login_csrf=auth.login_csrf(ctx.secret, nonce))  # fmt: skip
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_COOKIE_MAX_AGE_S, httponly=True,
                        samesite="strict", secure=cookie_secure(request), path="/me")  # fmt: skip
    return response


@router.get("/me")
def me_page(request: Request) -> Response:
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        try:
            person_id = person_of(request, session, secret=ctx.secret, now=now)
        except NotAuthenticated:
            return _login(request)
        extra = panels.rendered(session, person_id, now)
    refresh = ctx.settings.web.mycode_refresh_s
    return render(request, "me.html", panels=extra, page_data={"refresh_s": refresh})


@router.post("/me/login")
def me_login(
    request: Request,
    person_id: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=64)] = "",
    login_csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    ctx = context(request)
    if not auth.check_login_csrf(ctx.secret, request.cookies.get(LOGIN_COOKIE), login_csrf):
        return _login(request, "me.error.form", 403)
    now = ctx.now()
    with ctx.transaction() as session:
        result = pins.check_pin(session, person_id.strip(), pin, client_peer(request).address,
                                now=now)  # fmt: skip
        response: Response = RedirectResponse("/me", status_code=303)
        if result is pins.PinCheck.OK:
            set_me_cookie(request, response, session, secret=ctx.secret,
                          person_id=person_id.strip(), now=now)  # fmt: skip
    if result is pins.PinCheck.LOCKED:
        return _login(request, "me.error.locked", 429)
    if result is pins.PinCheck.WRONG:
        return _login(request, "me.error.wrong", 401)
    return response


@router.post("/me/logout")
def me_logout() -> Response:
    response = RedirectResponse("/me", status_code=303)
    clear_me_cookie(response)
    return response


def _enrol_page(request: Request, status: int, error: str, person_name: str) -> Response:
    return render(request, "me_enrol.html", status_code=status, error=error,
                  person_name=person_name)  # fmt: skip


@router.get("/me/enrol/{token}")
def enrol_page(request: Request, token: str) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        person = links.open_link(session, token, now=ctx.now())
        name = person.name if person is not None else ""
    if person is None:
        return _enrol_page(request, 404, "me.error.link", "")
    return _enrol_page(request, 200, "", name)


@router.post("/me/enrol/{token}")
def enrol(
    request: Request,
    token: str,
    pin: Annotated[str, Form(max_length=64)] = "",
    pin2: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        person = links.open_link(session, token, now=now)
        if person is None:
            return _enrol_page(request, 404, "me.error.link", "")
        try:
            pins.check_format(pin)
        except ConfigError:
            return _enrol_page(request, 422, "me.error.pin", person.name)
        if pin != pin2:
            return _enrol_page(request, 422, "me.error.mismatch", person.name)
        if not links.use_link(session, token, now=now):
            return _enrol_page(request, 404, "me.error.link", "")
        pins.set_pin(session, person.person_id, pin, now=now)
        address = client_peer(request).address
        log_action(session, at=now, actor=person.person_id, role="person", action="me.enrol",
                   target=person.person_id, params={"address": address})  # fmt: skip
        response = RedirectResponse("/me", status_code=303)
        set_me_cookie(request, response, session, secret=ctx.secret,
                      person_id=person.person_id, now=now)  # fmt: skip
    return response


@router.get("/me/code")
def my_code(request: Request) -> Response:
    """The signed-in person's fresh code (JSON), as the page shows it."""
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        try:
            person_id = person_of(request, session, secret=ctx.secret, now=now)
        except NotAuthenticated:
            mine = None
        else:
            mine = mycode.fresh_code(session, person_id, key=signing_key(ctx), now=now,
                                     site=ctx.site, tz=ctx.tz)  # fmt: skip
    if mine is None:  # not signed in, or no longer on the active roster: JSON, not a redirect
        return JSONResponse({"error": "not_authenticated"}, status_code=401)
    qr = segno.make(mine.code.code, error="m", micro=False)
    today = mine.today
    return JSONResponse(
        {
            "code": mine.code.code,
            "qr": qr.svg_data_uri(scale=QR_SCALE, border=4),
            "issued_at": mine.code.issued_at.isoformat(),
            "expires_at": mine.code.valid_until.astimezone(ctx.tz).isoformat(),
            "name": mine.name,
            "photo": photo_uri(mine.photo),
            "unit": mine.unit,
            "status": today.status,
            "status_at": today.at.astimezone(ctx.tz).strftime("%H:%M") if today.at else None,
            "refresh_s": ctx.settings.web.mycode_refresh_s,
        },
        headers={"Cache-Control": "no-store"},
    )
