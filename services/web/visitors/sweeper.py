"""Walk-ins nobody answered: refused by ``system`` when their deadline passes, even if no
page asks about them (the kiosk, the unit page and the status link also refuse them
on sight).  Runs beside the escalation timer, on the same tick."""

from __future__ import annotations

import asyncio
import logging

from services.visitors.review import expire_walkins
from services.web.context import WebContext

log = logging.getLogger(__name__)


def sweep_once(ctx: WebContext) -> list[str]:
    with ctx.transaction() as session:
        expired = expire_walkins(session=session, now=ctx.now())
    for appointment_id in expired:
        log.info("walk-in %s unanswered in time: refused", appointment_id)
    return expired


async def run(ctx: WebContext) -> None:
    tick = ctx.settings.web.escalation_tick_s
    while True:
        await asyncio.sleep(tick)
        try:
            await asyncio.to_thread(sweep_once, ctx)
        except Exception:
            log.exception("walk-in sweep failed; trying again in %.1f s", tick)
