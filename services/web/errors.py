"""Errors of the web service's domain, raised by its services and pages.

They belong to the one exception tree drawn in :mod:`kernel.errors`; their HTTP
statuses are in the one table of :mod:`services.web.api.errors`.

- ``NotAuthenticated``  no session, or it expired
- ``Forbidden``         the role or the gate binding does not allow it; bad CSRF token
  - ``OtherUnit``       a person or unit of another unit than the user's own (detail: which)
- ``NotFound``          a case, user or gate the page asked for does not exist
- ``Conflict``          the case is closed, already acknowledged, ...
- ``InvalidInput``      a value the domain refuses (beyond what the schema checks)
- ``RateLimited``       too many failed logins
- ``Unavailable``       the broker is not connected

A form's errors may also carry ``fields``: one message per field, in the reader's words.
Each carries a stable ``code`` (shown to programs; the class's own unless raised
with a more specific one) and ``error.<code>`` names its message in the catalogue
of :mod:`ui.i18n` (shown to people).
"""

from __future__ import annotations

from typing import Any

from kernel.errors import CampusgateError


class WebError(CampusgateError):
    code = "bad_request"

    def __init__(
        self, code: str | None = None, detail: str = "", fields: list[dict[str, Any]] | None = None
    ) -> None:
        self.code = code or type(self).code
        self.detail = detail
        # Per-field messages in the reader's words (the policy editor's form).
        self.fields = fields or []
        super().__init__(f"{self.code}: {detail}" if detail else self.code)


class NotAuthenticated(WebError):
    code = "not_authenticated"


class Forbidden(WebError):
    code = "forbidden"


class OtherUnit(Forbidden):
    """A person or unit the signed-in 信息员 does not answer for (the detail says which)."""

    code = "forbidden_unit"


class NotFound(WebError):
    code = "not_found"


class Conflict(WebError):
    code = "conflict"


class InvalidInput(WebError):
    code = "invalid_input"


class RateLimited(WebError):
    code = "rate_limited"

    def __init__(self, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(code)
        self.retry_after_s = retry_after_s


class Unavailable(WebError):
    code = "unavailable"
