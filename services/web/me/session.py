"""A person's sign-in on the my-code pages: a signed cookie, apart from the staff sessions.

``cg_me`` holds the person id, an expiry and an HMAC (the web session secret)
over both and the time their PIN was set: setting a new PIN (a new enrolment
link) signs every older cookie out.  A staff session is no person session and a
person session opens no staff page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session

from services.storage.enrol_models import PersonPinRow
from services.web.errors import NotAuthenticated
from services.web.http import cookie_secure

ME_COOKIE = "cg_me"
ME_TTL = timedelta(hours=12)


def _mac(secret: bytes, person_id: str, expires: int, pin_set: int) -> str:
    text = f"me|{person_id}|{expires}|{pin_set}".encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()


def _pin_set(session: Session, person_id: str) -> int | None:
    row = session.get(PersonPinRow, person_id)
    return None if row is None else int(row.set_at.timestamp() * 1000)


def set_me_cookie(request: Request, response: Response, session: Session, *, secret: bytes,
                  person_id: str, now: datetime) -> None:  # fmt: skip
    pin_set = _pin_set(session, person_id) or 0
    expires = int((now + ME_TTL).timestamp())
    encoded = base64.urlsafe_b64encode(person_id.encode()).decode().rstrip("=")
    value = f"{encoded}.{expires}.{_mac(secret, person_id, expires, pin_set)}"
    response.set_cookie(ME_COOKIE, value, max_age=int(ME_TTL.total_seconds()), httponly=True,
                        samesite="strict", secure=cookie_secure(request), path="/me")  # fmt: skip


def clear_me_cookie(response: Response) -> None:
    response.delete_cookie(ME_COOKIE, path="/me")


def person_of(request: Request, session: Session, *, secret: bytes, now: datetime) -> str:
    """The signed-in person, or NotAuthenticated."""
    value = request.cookies.get(ME_COOKIE, "")
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(value) > 512:
        raise NotAuthenticated()
    try:
        person_id = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode()
    except (binascii.Error, ValueError) as exc:
        raise NotAuthenticated() from exc
    expires = int(parts[1])
    pin_set = _pin_set(session, person_id)
    if pin_set is None or expires <= now.timestamp():
        raise NotAuthenticated("session_expired")
    if not hmac.compare_digest(parts[2], _mac(secret, person_id, expires, pin_set)):
        raise NotAuthenticated()
    return person_id
