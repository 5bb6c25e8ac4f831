"""URLs fit for a log line or a printout: credentials in them become ``***``.

Broker and database URLs carry passwords (``mqtt://central:PASSWORD@host``), a
webhook URL may carry a token in its query (``?access_token=``, ``?key=``) or in its
path after ``/hook/`` (Feishu: ``/open-apis/bot/v2/hook/<token>``).  Whatever
logs, prints or raises a message with a URL passes it through :func:`redact_url`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

HIDDEN = "***"
SECRET_QUERY_NAME = re.compile(r"pass|secret|token|key|sig|auth|credential", re.IGNORECASE)
# A path segment after which every segment is a bot's token (Feishu, Discord).
HOOK_SEGMENTS = frozenset({"hook", "hooks", "webhooks"})


def redact_url(url: str) -> str:
    """``url`` with the password of its user part, secret-looking query values and a bot's
    path token hidden.

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
    segments = parts.path.split("/")
    for index, segment in enumerate(segments[:-1]):
        if segment.lower() in HOOK_SEGMENTS:
            hidden_path = "/".join([*segments[: index + 1], *[HIDDEN] * len(segments[index + 1 :])])
            shown = shown.replace(parts.path, hidden_path, 1)
            break
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(SECRET_QUERY_NAME.search(name) for name, _ in pairs):
            query = urlencode(
                [(n, HIDDEN if SECRET_QUERY_NAME.search(n) else v) for n, v in pairs], safe="*/"
            )
            shown = shown.replace(f"?{parts.query}", f"?{query}", 1)
    return shown
