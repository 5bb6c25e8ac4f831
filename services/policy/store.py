"""Reading the site policy as stored: the newest version wins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.policy import Policy
from services.storage.models import PolicyVersionRow


def stored_policy(*, session: Session, site: str, version: int | None = None) -> Policy | None:
    """The newest stored policy of ``site`` (or that version), None if none is stored."""
    query = select(PolicyVersionRow.policy_json).where(PolicyVersionRow.site == site)
    if version is None:
        query = query.order_by(PolicyVersionRow.version.desc()).limit(1)
    else:
        query = query.where(PolicyVersionRow.version == version)
    text = session.scalar(query)
    return None if text is None else Policy.model_validate_json(text)


def current_policy(*, session: Session, site: str) -> Policy:
    """The policy in force: the newest stored version, else the defaults."""
    return stored_policy(session=session, site=site) or Policy(site=site)
