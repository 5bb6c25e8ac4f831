"""Reminders of missing check-ins (晨午检): the clinic gets the whole list, each unit's
信息员 (unit officers) their own unit's, through the notification channels.

A unit's notice has the audience ``officers`` and carries the unit, its officers'
user names and the people missing (``data``), as a walk-in's notice carries its
unit's approvers: the webhook relay (WeChat Work / DingTalk style) sends it to those
officers; e-mail has no address for them (web users have none), so it goes by
webhook only.  A unit without an officer has nobody to tell but the clinic.

Sent when the clinic asks (``POST /api/v1/checkins/remind``) and, if
``CAMPUSGATE_WEB__CHECKIN_AUTO_REMIND`` is on, once a slot's deadline has passed:
once per site, day and slot, however many web processes run and restart (the audit
log says whether it went).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases.checkins import Slot
from services.storage.audit_log import log_action
from services.storage.models import AuditLogRow
from services.visitors.units import officers
from services.web.checkins.service import MissingUnit, MissingView, RemindResult, missing_view
from services.web.context import WebContext
from services.web.notify.channels import Notice
from ui.i18n import t

log = logging.getLogger(__name__)

AUTO_ACTION = "checkin.remind_auto"
MAX_NAMES = 200
"""A unit's notice names at most this many people (then "and N more"): a relay's message limit."""


def _slot_words(slot: Slot) -> tuple[str, str]:
    return t("zh-CN", f"checkin.{slot.value}"), t("en", f"checkin.{slot.value}").lower()


def clinic_notice(view: MissingView) -> Notice:
    """The whole campus's missing list, per unit, for the clinic."""
    lines = [f"{u.unit}: {len(u.people)}" for u in view.units]
    return Notice(
        notice_id=f"checkin-{view.day}-{view.slot}-{uuid.uuid4().hex[:8]}",
        kind="checkin_reminder",
        audience="clinic",
        subject=f"[campusgate] 晨午检未报 {view.total} 人 Check-ins missing: {view.total}",
        text=(f"{view.day} {view.slot}: {view.total} 人未报 / missing\n" + "\n".join(lines)),
        data={"type": "checkin_reminder", **view.model_dump(mode="json")},
    )


def unit_notice(view: MissingView, unit: MissingUnit, unit_officers: list[str]) -> Notice:
    """One unit's missing people, for that unit's officers only."""
    zh, en = _slot_words(view.slot)
    due = view.deadline.strftime("%H:%M")
    shown = unit.people[:MAX_NAMES]
    more = len(unit.people) - len(shown)
    names = "、".join(f"{p.name}（{p.person_id}）" for p in shown)
    names += f" 等，另 {more} 人" if more else ""
    count = len(unit.people)
    return Notice(
        notice_id=f"checkin-{view.day}-{view.slot}-unit-{uuid.uuid4().hex[:12]}",
        kind="checkin_reminder_unit",
        audience="officers",
        subject=f"[campusgate] {unit.unit} {zh}未报 {count} 人 Missing {en} check-ins: {count}",
        text=(
            f"{unit.unit}：{view.day} {zh}（截止 {due}）尚有 {count} 人未报，请提醒：\n{names}\n"
            f"{unit.unit}: {count} missing the {en} check-in of {view.day} (due {due})."
        ),
        data={
            "type": "checkin_reminder_unit",
            "unit": unit.unit,
            "officers": unit_officers,
            "day": view.day.isoformat(),
            "slot": view.slot.value,
            "deadline": due,
            "people": [p.model_dump(mode="json") for p in unit.people],
        },
    )


def notices(session: Session, view: MissingView) -> list[Notice]:
    """The clinic's notice, then one per unit that has officers and someone missing."""
    if not view.total:
        return []
    by_unit: dict[str, list[str]] = {}
    for unit, officer in officers(session=session):
        by_unit.setdefault(unit, []).append(officer)
    found = [clinic_notice(view)]
    found += [unit_notice(view, u, by_unit[u.unit]) for u in view.units if by_unit.get(u.unit)]
    return found


def result(view: MissingView, sent: list[Notice]) -> RemindResult:
    return RemindResult(
        missing=view.total,
        units=len(view.units),
        notified=bool(sent),
        officer_units=[n.data["unit"] for n in sent if n.audience == "officers"],
    )


def remind_due(ctx: WebContext) -> list[RemindResult]:
    """Send what is due now and was not sent yet (blocking: the database)."""
    now = ctx.now()
    day = now.astimezone(ctx.tz).date()
    done = []
    for slot in Slot:
        target = f"{ctx.site}/{day.isoformat()}/{slot.value}"
        with ctx.transaction() as session:
            view = missing_view(session, ctx, day=day, slot=slot, now=now, scope=None)
            if not view.overdue or _sent(session, target):
                continue
            sent = notices(session, view)
            log_action(session, at=now, actor="system", role="system", action=AUTO_ACTION,
                       target=target, count=view.total)  # fmt: skip
        for notice in sent:
            ctx.notifier.submit(notice)
        done.append(result(view, sent))
    return done


def _sent(session: Session, target: str) -> bool:
    query = select(AuditLogRow.id).where(
        AuditLogRow.action == AUTO_ACTION, AuditLogRow.target == target
    )
    return session.scalar(query.limit(1)) is not None


async def run(ctx: WebContext) -> None:
    """Check every ``escalation_tick_s`` whether a slot's reminders are due (when switched on)."""
    tick = ctx.settings.web.escalation_tick_s
    while True:
        await asyncio.sleep(tick)
        try:
            await asyncio.to_thread(remind_due, ctx)
        except Exception:
            log.exception("check-in reminders failed; trying again in %.1f s", tick)
