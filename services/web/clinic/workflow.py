"""What happens to cases outside a request: alerts arriving, and the escalation timer.

A FeverAlert from MQTT is noted in the case timeline once (``alerted``; with
several web processes only the first to insert it acts) and sent to the clinic
by webhook and e-mail.  Every ``escalation_tick_s`` the timer escalates the
cases nobody acknowledged within ``escalation_delay_s``: the dashboards get an
``escalation`` event and the security office is notified.  Time comes from the
injected clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from schemas.messages import FeverAlert
from services.web.api.models import CaseView
from services.web.clinic import service
from services.web.context import WebContext
from services.web.live import events
from services.web.notify.channels import Notice

log = logging.getLogger(__name__)


def fever_notice(alert: FeverAlert) -> Notice:
    who = alert.person.name if alert.person else "未识别人员 unknown person"
    celsius = f"{alert.celsius} °C" if alert.celsius is not None else ", ".join(alert.reasons)
    text = (
        f"发热告警：{alert.gate} 门岗，{who}，{celsius}。请校医尽快确认处置。\n"
        f"Fever alert at gate {alert.gate}: {who}, {celsius}. Please acknowledge.\n"
        f"case {alert.case_id}, event {alert.event_id}, {alert.ts.isoformat()}"
    )
    return Notice(
        notice_id=str(alert.alert_id),
        kind="fever_alert",
        audience="clinic",
        subject=f"[campusgate] 发热告警 Fever at {alert.gate}: {who} {celsius}",
        text=text,
        data=events.alert_data(alert),
    )


def escalation_notice(case: CaseView, delay: timedelta) -> Notice:
    who = case.person.name if case.person else "未识别人员 unknown person"
    minutes = int(delay.total_seconds() // 60)
    text = (
        f"发热告警 {minutes} 分钟内无人确认，已升级至保卫处：{case.gate} 门岗，{who}。\n"
        f"Fever alert not acknowledged within {minutes} min, escalated: gate {case.gate}, {who}.\n"
        f"case {case.case_id}, opened {case.opened_at.isoformat()}"
    )
    return Notice(
        notice_id=f"escalation-{case.case_id}",
        kind="escalation",
        audience="security",
        subject=f"[campusgate] 升级 Escalated fever alert at {case.gate}: {who}",
        text=text,
        data={"type": "escalation", "minutes": minutes, **case.model_dump(mode="json")},
    )


class CaseWorkflow:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.delay = timedelta(seconds=ctx.settings.web.escalation_delay_s)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    # -- alerts (called on paho's thread) -------------------------------------------------

    def on_alert(self, alert: FeverAlert) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._alert(alert), loop)

    async def _alert(self, alert: FeverAlert) -> None:
        try:
            first = await asyncio.to_thread(self._note_alert, alert)
        except Exception:
            log.exception("could not note alert %s of case %s", alert.alert_id, alert.case_id)
            return
        if first:
            await self.ctx.notifier.deliver(fever_notice(alert))

    def _note_alert(self, alert: FeverAlert) -> bool:
        with self.ctx.transaction() as session:
            return service.note_alert(session, alert, self.ctx.now())

    # -- escalation ------------------------------------------------------------------------

    def escalate_once(self) -> list[CaseView]:
        """Escalate what is due now (blocking: database); publish and notify each."""
        with self.ctx.transaction() as session:
            escalated = service.escalate_due(session, self.ctx.site, self.ctx.now(), self.delay)
        for case in escalated:
            log.warning("case %s at %s escalated: nobody acknowledged it", case.case_id, case.gate)
            self.ctx.hub.publish_threadsafe(service.case_event(case, events.ESCALATION))
            self.ctx.notifier.submit(escalation_notice(case, self.delay))
        return escalated

    async def run(self) -> None:
        tick = self.ctx.settings.web.escalation_tick_s
        while True:
            await asyncio.sleep(tick)
            try:
                await asyncio.to_thread(self.escalate_once)
            except Exception:
                log.exception("escalation check failed; trying again in %.1f s", tick)
