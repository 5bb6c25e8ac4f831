"""URLs fit for a log line or a printout: credentials in them become ``***``.

Broker and database URLs carry passwords (``mqtt://central:PASSWORD@host``), and
a webhook URL may carry a token in its query (``?access_token=``).  Whatever
logs, prints or raises a message with a URL passes it through :func:`redact_url`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

HIDDEN = "***"
SECRET_QUERY_NAME = re.compile(r"pass|secret|token|key|sig|auth|credential", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with the password of its user part and secret-looking query values hidden.

    Only those parts are rewritten; the rest of the text stays exactly as given.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    shown = url
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        hidden = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{hostport}"
        shown = shown.replace(parts.netloc, hidden, 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(SECRET_QUERY_NAME.search(name) for name, _ in pairs):
            query = urlencode(
                [(n, HIDDEN if SECRET_QUERY_NAME.search(n) else v) for n, v in pairs], safe="*/"
            )
            shown = shown.replace(f"?{parts.query}", f"?{query}", 1)
    return shown
