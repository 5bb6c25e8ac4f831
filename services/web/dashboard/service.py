"""Everything the security office sees at once, from the database and the live feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.web.api.models import DashboardView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import service as clinic
from services.web.context import WebContext
from services.web.gates import service as gates
from services.web.gates import store as gate_store

LIVE_ROWS = 30
DENIAL_ROWS = 20
COMMAND_ROWS = 15


def dashboard(
    session: Session, ctx: WebContext, principal: Principal, now: datetime
) -> DashboardView:
    principal.require(Permission.DASHBOARD_VIEW)
    live = gate_store.recent_entries(session=session, site=ctx.site, gate=None, limit=LIVE_ROWS)
    denials = gate_store.recent_entries(
        session=session, site=ctx.site, gate=None, limit=DENIAL_ROWS, denials_only=True
    )
    cases = clinic.list_cases(session, ctx.site, principal, include_closed=False)
    return DashboardView(
        gates=gates.gate_views(session, ctx, principal, now, gates.known_gates(session, ctx)),
        live=[gates.passage_view(e, principal) for e in live],
        denials=[gates.passage_view(e, principal) for e in denials],
        cases=cases,
        escalations=[c for c in cases if c.escalated_at is not None and c.acknowledged_at is None],
        commands=gates.recent_commands(session, ctx, principal, COMMAND_ROWS),
    )
