"""Panels other features add to the my-code page, below the code (issue 17: the check-in).

A panel is a template (under ``services/web/templates``) and a function giving its
values for the signed-in person; register it once at import time::

    from services.web.me.panels import Panel, register
    register(Panel("_me_checkin.html", lambda session, person_id, now: {...}))

The page renders every registered panel in order, each inside its own
``<section class="card panel">``; a panel's form posts to its own routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

PanelValues = Callable[[Session, str, datetime], Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class Panel:
    template: str
    values: PanelValues


PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if all(p.template != panel.template for p in PANELS):
        PANELS.append(panel)


def rendered(
    session: Session, person_id: str, now: datetime
) -> list[tuple[str, Mapping[str, object]]]:
    return [(p.template, p.values(session, person_id, now)) for p in PANELS]
