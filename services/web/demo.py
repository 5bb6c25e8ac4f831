"""Users for ``campusgate demo``: one guard per gate, a nurse, an officer, an auditor, an admin.

All share :data:`DEMO_PASSWORD`, printed by the demo; never for a real campus (the
web service refuses the demo session secret outside the demo, and these users only
exist where this function was called).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from services.web.auth import store
from services.web.auth.roles import Role
from services.web.auth.service import create_user
from ui.i18n import Lang

DEMO_PASSWORD = "campusgate-demo"  # noqa: S105 (printed by the demo on purpose)


def add_demo_users(
    *, session: Session, gates: Iterable[str], now: datetime
) -> list[tuple[str, Role, frozenset[str]]]:
    """Add the demo's users that do not exist yet; every demo user with role and gates."""
    wanted: list[tuple[str, Role, frozenset[str]]] = [
        ("admin", Role.ADMIN, frozenset()),
        ("officer", Role.SECURITY, frozenset()),
        ("nurse", Role.CLINIC, frozenset()),
        ("auditor", Role.AUDITOR, frozenset()),
    ]
    wanted += [(f"guard-{gate}", Role.GUARD, frozenset({gate})) for gate in gates]
    for username, role, bound in wanted:
        if store.user_with_hash(session=session, username=username) is None:
            lang: Lang = "zh-CN" if role in (Role.GUARD, Role.CLINIC) else "en"
            create_user(
                session=session,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                gates=bound,
                lang=lang,
                now=now,
            )
    return wanted
