"""The audit log: every administrative change and every audit query, who/what/when.

Rows go into the caller's transaction, so a change and its log row commit
together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from services.storage.models import AuditLogRow


def log_action(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str = "",
    role: str = "admin",
    count: int | None = 1,
    params: Mapping[str, object] | None = None,
) -> None:
    session.add(
        AuditLogRow(
            at=at,
            actor=actor[:64],
            role=role[:16],
            action=action[:64],
            target=target,
            params_json=json.dumps(
                dict(params or {}), default=str, ensure_ascii=False, sort_keys=True
            ),
            result_count=count,
        )
    )
