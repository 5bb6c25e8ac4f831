"""Known devices: a browser where a user has signed in before.

After a successful sign-in the browser gets a long-lived ``cg_device`` cookie: a random
device id and, for each user who signed in there, a keyed MAC of the id and the user
name (HMAC-SHA256 with the session secret).  Nobody can make one for a user without
signing in as that user, so a failed-login storm against a user name, which locks the
name for unknown browsers, does not lock its owner out of the browser they use:
attempts from a known device are counted per device instead (:mod:`.service`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

DEVICE_COOKIE = "cg_device"
DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 3600
DEVICE_ID_BYTES = 16
MAC_CHARS = 22  # 132 bits of the MAC
MAX_USERS_PER_DEVICE = 8  # a shared kiosk screen: the guards of one gate
MAX_COOKIE_CHARS = 400
_PART = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _mac(secret: bytes, device_id: str, username: str) -> str:
    digest = hmac.new(secret, f"device:{device_id}:{username}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode()[:MAC_CHARS]


def _parts(cookie: str | None) -> list[str]:
    if not cookie or len(cookie) > MAX_COOKIE_CHARS:
        return []
    parts = cookie.split(".")
    return parts if all(_PART.fullmatch(p) for p in parts) else []


def known_device(secret: bytes, cookie: str | None, username: str) -> str | None:
    """The device id, when the cookie says ``username`` signed in on this device before."""
    parts = _parts(cookie)
    if len(parts) < 2:
        return None
    device_id, macs = parts[0], parts[1:]
    expected = _mac(secret, device_id, username)
    if any(hmac.compare_digest(expected, mac) for mac in macs):
        return device_id
    return None


def remember(secret: bytes, cookie: str | None, username: str) -> str:
    """The cookie after ``username`` signed in on this device (a new device if none)."""
    parts = _parts(cookie)
    device_id = parts[0] if parts else secrets.token_urlsafe(DEVICE_ID_BYTES)
    mac = _mac(secret, device_id, username)
    others = [m for m in parts[1:] if m != mac][-(MAX_USERS_PER_DEVICE - 1) :]
    return ".".join([device_id, *others, mac])
