"""The clinic's cases for the web: views, the lifecycle's actions, alerts, escalation.

The rules are the lifecycle's (services/cases/lifecycle.py), applied by
services/cases; this module checks the signed-in user's permission, turns the
stored case into its view, and the lifecycle's refusals into the web's errors
(a guard is refused 403, releasing twice 409, 150 °C 422).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from schemas.messages import FeverAlert
from services.cases import service as cases
from services.cases import store as case_store  # the one timeline writer
from services.cases.followup import FLAGS, FollowUp
from services.cases.lifecycle import Action, Actor, CaseRefused, Origin, Status
from services.cases.observed import follow_ups
from services.storage.models import IsolationCaseRow, PersonRow
from services.web.api.models import CaseDetail, CaseEventView, CaseView, PersonView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store
from services.web.context import WebContext
from services.web.errors import Conflict, Forbidden, InvalidInput, NotFound, WebError
from services.web.live import events

LIST_LIMIT = 200
_REFUSALS: dict[str, type[WebError]] = {
    "conflict": Conflict,
    "forbidden": Forbidden,
    "invalid": InvalidInput,
}


@dataclass(frozen=True, slots=True)
class AsOf:
    """When and where the follow-up flags of cases under observation are judged."""

    now: datetime
    zone: ZoneInfo
    deadlines: Mapping[str, time]


def as_of(ctx: WebContext) -> AsOf:
    """Now, at the site, with the check-in deadlines the web is configured with."""
    web = ctx.settings.web
    limits = {"morning": web.checkin_morning_deadline, "noon": web.checkin_noon_deadline}
    return AsOf(ctx.now(), ctx.tz, limits)


def case_view(
    row: IsolationCaseRow, person: PersonRow | None, follow: FollowUp | None = None
) -> CaseView:
    def number(value: object) -> float | None:
        return None if value is None else float(str(value))

    return CaseView(
        case_id=row.case_id,
        status=row.status,
        gate=row.gate,
        opened_at=row.opened_at,
        person=None
        if person is None
        else PersonView(
            id=person.person_id,
            name=person.name,
            kind=person.kind,
            masked_id=mask_id_number(person.id_last4),
        ),
        celsius=number(row.celsius),
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        clinic_celsius=number(row.clinic_celsius),
        clinic_measured_at=row.clinic_measured_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        outcome=row.outcome,
        escalated_at=row.escalated_at,
        origin=row.origin or Origin.FEVER.value,
        opened_by=row.opened_by,
        note=row.note or "",
        isolating=row.status != Status.RELEASED,
        suspended=row.confirmed_at is not None and row.returned_at is None,
        observation_place=row.observation_place,
        observation_room=row.observation_room,
        observation_start=row.observation_start,
        observation_until=row.observation_until,
        hospital=row.hospital,
        transfer_at=row.transfer_at,
        suspected_at=row.suspected_at,
        confirmed_at=row.confirmed_at,
        release_reason=row.release_reason,
        returned_at=row.returned_at,
        return_date=row.return_date,
        return_certificate=row.return_certificate,
        returned_by=row.returned_by,
        flags=[] if follow is None else list(follow.flags),
        missed_readings=[] if follow is None else follow.missed_text(),
    )


def views(
    session: Session,
    rows: Sequence[tuple[IsolationCaseRow, PersonRow | None]],
    as_of: AsOf | None,
) -> list[CaseView]:
    """The cases as views, with their follow-up flags when ``as_of`` says when to judge them."""
    follow = {} if as_of is None else follow_ups(
        session=session, rows=[c for c, _p in rows], now=as_of.now, zone=as_of.zone,
        deadlines=as_of.deadlines,
    )  # fmt: skip
    return [case_view(c, p, follow.get(c.case_id)) for c, p in rows]


def case_event(view: CaseView, kind: str = events.CASE) -> events.LiveEvent:
    data = {"type": kind, **view.model_dump(mode="json")}
    return events.LiveEvent(kind, view.gate, events.encode(data))


def list_cases(
    session: Session,
    site: str,
    principal: Principal,
    *,
    include_closed: bool,
    as_of: AsOf | None = None,
    flag: str | None = None,
) -> list[CaseView]:
    """Newest first; ``flag`` keeps the cases that carry it (judged ``as_of``)."""
    principal.require(Permission.CASE_VIEW)
    if flag is not None and flag not in FLAGS:
        raise InvalidInput("bad_flag", f"{flag[:40]!r} is none of {', '.join(FLAGS)}")
    rows = store.cases(session=session, site=site, include_closed=include_closed, limit=LIST_LIMIT)
    found = views(session, rows, as_of)
    return found if flag is None else [v for v in found if flag in v.flags]


def escalated_cases(session: Session, site: str, principal: Principal) -> list[CaseView]:
    principal.require(Permission.CASE_VIEW)
    rows = store.cases(
        session=session, site=site, include_closed=False, limit=LIST_LIMIT, escalated_only=True
    )
    return [case_view(c, p) for c, p in rows]


def _load(session: Session, site: str, case_id: str, as_of: AsOf | None = None) -> CaseView:
    found = store.case(session=session, site=site, case_id=case_id)
    if found is None:
        raise NotFound("case_not_found", f"no case {case_id}")
    return views(session, [found], as_of)[0]


def case_detail(
    session: Session, site: str, principal: Principal, case_id: str, as_of: AsOf | None = None
) -> CaseDetail:
    principal.require(Permission.CASE_VIEW)
    case = _load(session, site, case_id, as_of)
    if case.origin == Origin.FEVER:
        what = "" if case.celsius is None else f"{case.celsius:.1f} °C"
        opened = CaseEventView(at=case.opened_at, kind="opened", actor=case.gate, detail=what)
    else:
        what = case.origin if not case.note else f"{case.origin}: {case.note}"
        opened = CaseEventView(
            at=case.opened_at, kind="opened", actor=case.opened_by or case.gate, detail=what
        )
    timeline = [opened] + [
        CaseEventView(at=e.at, kind=e.kind, actor=e.actor, detail=e.detail)
        for e in store.events(session=session, case_id=case_id)
    ]
    return CaseDetail(case=case, timeline=timeline)


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.username, principal.role.value)


def refusal(exc: CaseRefused) -> WebError:
    return _REFUSALS[exc.kind](exc.code, exc.detail)


def act(
    session: Session,
    site: str,
    principal: Principal,
    case_id: str,
    action: Action,
    *,
    now: datetime,
    as_of: AsOf | None = None,
) -> CaseView:
    """One lifecycle action on a case by the signed-in clinician; the case after it."""
    principal.require(Permission.CASE_ACT)
    _load(session, site, case_id)  # 404 before anything else
    try:
        cases.act(session, site, case_id, action, actor=actor_of(principal), now=now)
    except CaseRefused as exc:
        raise refusal(exc) from exc
    return _load(session, site, case_id, as_of)


def note_alert(session: Session, alert: FeverAlert, now: datetime) -> bool:
    """Record that the alert reached the web service; True for the first process only."""
    return case_store.add_event(
        session=session, case_id=alert.case_id, at=now, kind="alerted", actor="", once=True
    )


def escalate_due(session: Session, site: str, now: datetime, delay: timedelta) -> list[CaseView]:
    """Escalate every case nobody acknowledged within ``delay``; the ones escalated now."""
    escalated: list[CaseView] = []
    for case_id in store.due_for_escalation(session=session, site=site, opened_before=now - delay):
        if store.mark_escalated(session=session, site=site, case_id=case_id, now=now):
            case_store.add_event(
                session=session,
                case_id=case_id,
                at=now,
                kind="escalated",
                detail=f"not acknowledged within {int(delay.total_seconds())} s",
                once=True,
            )
            escalated.append(_load(session, site, case_id))
    return escalated
