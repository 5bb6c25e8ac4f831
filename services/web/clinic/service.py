"""Case rules: acknowledge, record the clinical reading, close with an outcome, escalate.

A case is ``open`` until a clinician acknowledges it, then ``acknowledged``,
then ``closed`` with an outcome.  Recording a reading or closing an open case
acknowledges it on the way (the timeline shows both).  A re-measurement below
the threshold never closes a case by itself: only the outcome does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from schemas.messages import FeverAlert
from services.storage.models import IsolationCaseRow, PersonRow
from services.web.api.models import CaseDetail, CaseEventView, CaseOutcome, CaseView, PersonView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store
from services.web.errors import Conflict, NotFound
from services.web.live import events

LIST_LIMIT = 200


def case_view(row: IsolationCaseRow, person: PersonRow | None) -> CaseView:
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
        celsius=None if row.celsius is None else float(row.celsius),
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        clinic_celsius=None if row.clinic_celsius is None else float(row.clinic_celsius),
        clinic_measured_at=row.clinic_measured_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        outcome=row.outcome,
        escalated_at=row.escalated_at,
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
    opened = CaseEventView(
        at=case.opened_at,
        kind="opened",
        actor=case.gate,
        detail="" if case.celsius is None else f"{case.celsius:.1f} °C",
    )
    timeline = [opened] + [
        CaseEventView(at=e.at, kind=e.kind, actor=e.actor, detail=e.detail)
        for e in store.events(session=session, case_id=case_id)
    ]
    return CaseDetail(case=case, timeline=timeline)


def _refuse(session: Session, site: str, case_id: str) -> Conflict:
    case = _load(session, site, case_id)
    if case.status == store.CLOSED:
        return Conflict("case_closed", f"case {case_id} is closed")
    return Conflict("already_acknowledged", f"acknowledged by {case.acknowledged_by}")


def _acknowledge(session: Session, site: str, case_id: str, by: str, now: datetime) -> bool:
    if store.acknowledge(session=session, site=site, case_id=case_id, by=by, now=now):
        store.add_event(session=session, case_id=case_id, at=now, kind="acknowledged", actor=by)
        return True
    return False


def acknowledge(
    session: Session, site: str, principal: Principal, case_id: str, now: datetime
) -> CaseView:
    principal.require(Permission.CASE_ACT)
    if not _acknowledge(session, site, case_id, principal.username, now):
        raise _refuse(session, site, case_id)
    return _load(session, site, case_id)


def record_measurement(
    session: Session,
    site: str,
    principal: Principal,
    case_id: str,
    *,
    celsius: Decimal,
    now: datetime,
) -> CaseView:
    principal.require(Permission.CASE_ACT)
    _acknowledge(session, site, case_id, principal.username, now)
    if not store.record_measurement(
        session=session, site=site, case_id=case_id, celsius=celsius, now=now
    ):
        raise _refuse(session, site, case_id)
    store.add_event(
        session=session,
        case_id=case_id,
        at=now,
        kind="remeasured",
        actor=principal.username,
        detail=f"{celsius:.1f} °C",
    )
    return _load(session, site, case_id)


def close_case(
    session: Session,
    site: str,
    principal: Principal,
    case_id: str,
    *,
    outcome: CaseOutcome,
    note: str,
    now: datetime,
) -> CaseView:
    principal.require(Permission.CASE_ACT)
    _acknowledge(session, site, case_id, principal.username, now)
    if not store.close(
        session=session, site=site, case_id=case_id, outcome=outcome, by=principal.username, now=now
    ):
        raise _refuse(session, site, case_id)
    detail = outcome if not note else f"{outcome}: {note}"
    store.add_event(
        session=session,
        case_id=case_id,
        at=now,
        kind="closed",
        actor=principal.username,
        detail=detail,
    )
    return _load(session, site, case_id)


def note_alert(session: Session, alert: FeverAlert, now: datetime) -> bool:
    """Record that the alert reached the web service; True for the first process only."""
    return store.add_event(
        session=session, case_id=alert.case_id, at=now, kind="alerted", actor="", once=True
    )


def escalate_due(session: Session, site: str, now: datetime, delay: timedelta) -> list[CaseView]:
    """Escalate every case nobody acknowledged within ``delay``; the ones escalated now."""
    escalated: list[CaseView] = []
    for case_id in store.due_for_escalation(session=session, site=site, opened_before=now - delay):
        if store.mark_escalated(session=session, site=site, case_id=case_id, now=now):
            store.add_event(
                session=session,
                case_id=case_id,
                at=now,
                kind="escalated",
                detail=f"not acknowledged within {int(delay.total_seconds())} s",
                once=True,
            )
            escalated.append(_load(session, site, case_id))
    return escalated
