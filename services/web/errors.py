"""Errors of the web service's domain; mapped to HTTP in one place (``api/errors.py``).

    WebError
    ├── NotAuthenticated   401  no session, or it expired
    ├── Forbidden          403  the role or the gate binding does not allow it; bad CSRF token
    ├── NotFound           404
    ├── Conflict           409  the case is closed, already acknowledged, ...
    ├── InvalidInput       422  a value the domain refuses (beyond what the schema checks)
    ├── RateLimited        429  too many failed logins
    └── Unavailable        503  the broker is not connected

Each carries a stable ``code`` (shown to programs) and a message key of the
catalogue in :mod:`services.web.i18n` (shown to people).
"""

from __future__ import annotations


class WebError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, detail: str = "") -> None:
        self.code = code or type(self).code
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else self.code)


class NotAuthenticated(WebError):
    status = 401
    code = "not_authenticated"


class Forbidden(WebError):
    status = 403
    code = "forbidden"


class NotFound(WebError):
    status = 404
    code = "not_found"


class Conflict(WebError):
    status = 409
    code = "conflict"


class InvalidInput(WebError):
    status = 422
    code = "invalid_input"


class RateLimited(WebError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(code)
        self.retry_after_s = retry_after_s


class Unavailable(WebError):
    status = 503
    code = "unavailable"
