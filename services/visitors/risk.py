"""The site's list of risk areas (中高风险地区), which administrators keep current.

A visitor lists the places they went in the last 14 days; those that match an entry
here (the entry's name inside the place the visitor typed, so "北京市朝阳区" matches
"朝阳区") flag the request to the approver.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, NotFound
from services.storage.audit_log import log_action
from services.storage.visitor_models import RiskAreaRow

MAX_AREA_CHARS = 100
MAX_AREAS = 2000


def risk_areas(*, session: Session, site: str) -> list[str]:
    query = select(RiskAreaRow.name).where(RiskAreaRow.site == site).order_by(RiskAreaRow.name)
    return list(session.scalars(query))


def add_risk_area(*, session: Session, site: str, name: str, by: str, now: datetime) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_AREA_CHARS:
        raise ConfigError(f"a risk area is named in 1-{MAX_AREA_CHARS} characters")
    if len(risk_areas(session=session, site=site)) >= MAX_AREAS:
        raise ConfigError(f"at most {MAX_AREAS} risk areas")
    if session.get(RiskAreaRow, (site, name)) is None:
        session.add(RiskAreaRow(site=site, name=name, added_by=by, added_at=now))
        log_action(session, at=now, actor=by, action="visitor.risk_area_add", target=name)
    session.flush()
    return name


def remove_risk_area(*, session: Session, site: str, name: str, by: str, now: datetime) -> None:
    result = session.execute(
        delete(RiskAreaRow).where(RiskAreaRow.site == site, RiskAreaRow.name == name)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"no risk area {name[:MAX_AREA_CHARS]!r}")
    log_action(session, at=now, actor=by, action="visitor.risk_area_remove", target=name)


def matching(places: list[str], areas: list[str]) -> list[str]:
    """The places a visitor gave that lie in one of ``areas``."""
    return [place for place in places if any(area in place for area in areas)]
