"""A record's fields and values as people read them: the CLI's ``show`` commands, the
action log's parameters (CLI and page), in the reader's language and on the site's clock.

Field names are ``field.<name>`` in the catalogue (else shown as they are), values of
worded fields (status, kind, decision ...) are words, booleans 是/否, times local.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from kernel.localtime import local_iso, local_times
from ui.i18n import Lang, t, word

# A record's fields whose values are words of the catalogue: field -> family of words.
WORDED_FIELDS = {"status": "appt.status", "kind": "kind", "state": "pass.state",
                 "decision": "decision", "direction": "direction", "role": "role",
                 "format": "format"}  # fmt: skip


def value_text(lang: Lang, name: str, value: object, tz: ZoneInfo | None = None) -> str:
    """One value of the field ``name`` as people read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return t(lang, "cli.yes" if value else "cli.no")
    if isinstance(value, datetime):
        return local_iso(value, tz)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(lang, name, v, tz) for v in value)
    if isinstance(value, str) and name in WORDED_FIELDS:
        return word(lang, WORDED_FIELDS[name], value)
    if isinstance(value, str):
        return local_times(value, tz)
    return str(value)


def params_text(lang: Lang, text: str | None, tz: ZoneInfo | None = None) -> str:
    """A logged action's parameters (stored JSON): names and values worded, times local."""
    if not text:
        return ""
    try:
        params = json.loads(text)
    except ValueError:
        return local_times(text, tz)
    if not isinstance(params, dict):
        return local_times(text, tz)
    shown = (f"{word(lang, 'field', k)}: {value_text(lang, k, v, tz)}" for k, v in params.items())
    return "{" + ", ".join(shown) + "}"
