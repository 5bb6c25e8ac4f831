"""The clinic's cases for the web: views, the lifecycle's actions, alerts, escalation.

The rules are the lifecycle's (services/cases/lifecycle.py), applied by
services/cases; this module checks the signed-in user's permission, turns the
stored case into its view, and the lifecycle's refusals into the web's errors
(a guard is refused 403, releasing twice 409, 150 °C 422).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from schemas.messages import FeverAlert
from services.cases import service as cases
from services.cases import store as case_store  # the one timeline writer
from services.cases.lifecycle import Action, Actor, CaseRefused, Origin, Status
from services.storage.models import IsolationCaseRow, PersonRow
from services.web.api.models import CaseDetail, CaseEventView, CaseView, PersonView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store
from services.web.errors import Conflict, Forbidden, InvalidInput, NotFound, WebError
from services.web.live import events

LIST_LIMIT = 200
_REFUSALS: dict[str, type[WebError]] = {
    "conflict": Conflict,
    "forbidden": Forbidden,
    "invalid": InvalidInput,
}


def case_view(row: IsolationCaseRow, person: PersonRow | None) -> CaseView:
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
    )


def case_event(view: CaseView, kind: str = events.CASE) -> events.LiveEvent:
    data = {"type": kind, **view.model_dump(mode="json")}
    return events.LiveEvent(kind, view.gate, events.encode(data))


def list_cases(
    session: Session, site: str, principal: Principal, *, include_closed: bool
) -> list[CaseView]:
    principal.require(Permission.CASE_VIEW)
    rows = store.cases(session=session, site=site, include_closed=include_closed, limit=LIST_LIMIT)
    return [case_view(c, p) for c, p in rows]


def escalated_cases(session: Session, site: str, principal: Principal) -> list[CaseView]:
    principal.require(Permission.CASE_VIEW)
    rows = store.cases(
        session=session, site=site, include_closed=False, limit=LIST_LIMIT, escalated_only=True
    )
    return [case_view(c, p) for c, p in rows]


def _load(session: Session, site: str, case_id: str) -> CaseView:
    found = store.case(session=session, site=site, case_id=case_id)
    if found is None:
        raise NotFound("case_not_found", f"no case {case_id}")
    return case_view(*found)


def case_detail(session: Session, site: str, principal: Principal, case_id: str) -> CaseDetail:
    principal.require(Permission.CASE_VIEW)
    case = _load(session, site, case_id)
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
) -> CaseView:
    """One lifecycle action on a case by the signed-in clinician; the case after it."""
    principal.require(Permission.CASE_ACT)
    _load(session, site, case_id)  # 404 before anything else
    try:
        cases.act(session, site, case_id, action, actor=actor_of(principal), now=now)
    except CaseRefused as exc:
        raise refusal(exc) from exc
    return _load(session, site, case_id)


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
