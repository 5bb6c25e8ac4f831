"""Log records as JSON, one object per line (``--log-format json``), for a log shipper.

Every record has ``ts`` (UTC), ``level``, ``logger`` and ``message``; a record about a
passage also has ``event_id`` and ``gate`` (and ``site``) when the call gave them with
``extra=passage_fields(...)``; an exception adds ``exc`` (its traceback, one string).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

FIELDS = ("event_id", "gate", "site", "worker")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def passage_fields(*, event_id: object = None, gate: str | None = None,
                   site: str | None = None) -> dict[str, str]:  # fmt: skip
    """``extra=`` for a log call about a passage: its event_id and gate as fields."""
    fields = {"event_id": event_id, "gate": gate, "site": site}
    return {key: str(value) for key, value in fields.items() if value is not None}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)
