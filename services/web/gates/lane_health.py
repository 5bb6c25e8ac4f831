"""What a guard records at the lane besides decisions: symptoms and incidents.

Symptoms go with the passage on screen (a recent one of this gate): like a fever
they open a case for the person, or join the case already isolating them, and the
clinic is told.  An incident (refused instructions, forced entry, other) is kept
with the guard's note.  Both reach the security office live and the daily report.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.decision.reasons import Incident, Reason, Symptom
from schemas.messages import Decision
from services.cases import service as cases
from services.cases import store as case_store
from services.cases.lifecycle import Origin
from services.storage.audit_log import log_action
from services.storage.health_models import IncidentRow
from services.web.api.models import CaseView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store as clinic_store
from services.web.clinic.service import case_view
from services.web.context import WebContext
from services.web.gates.service import gate_passage, recent_passage
from services.web.notify.channels import Notice

INCIDENTS_LISTED = 100
GRANT_KINDS = frozenset({"visitor", "pass"})  # shown by their appointment or pass, not the roster


class IncidentView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    gate: str
    event_id: str | None
    kind: str
    note: str
    by: str
    at: datetime


def incident_view(row: IncidentRow) -> IncidentView:
    return IncidentView(id=row.id, gate=row.gate, event_id=row.event_id, kind=row.kind,
                        note=row.note, by=row.by, at=row.at)  # fmt: skip


def symptoms_notice(view: CaseView, symptoms: list[Symptom], guard: str) -> Notice:
    who = view.person.name if view.person else "未识别人员 unknown person"
    listed = ", ".join(s.value for s in symptoms)
    return Notice(
        notice_id=f"symptoms-{view.case_id}-{uuid.uuid4().hex[:8]}",
        kind=Reason.SYMPTOMS.value,
        audience="clinic",
        subject=f"[campusgate] 症状 Symptoms at {view.gate}: {who} ({listed})",
        text=(
            f"门岗 {view.gate} 登记症状：{who}，{listed}（{guard}）。\n"
            f"Symptoms recorded at gate {view.gate}: {who}, {listed} (by {guard}).\n"
            f"case {view.case_id}"
        ),
        data={
            "type": Reason.SYMPTOMS.value,
            **view.model_dump(mode="json"),
            "symptoms": [s.value for s in dict.fromkeys(symptoms)],
            "by": guard,
        },
    )


def record_symptoms(  # noqa: PLR0917 - who, where, on which passage, what, with what note
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    event_id: uuid.UUID,
    symptoms: list[Symptom],
    note: str,
    *,
    now: datetime,
) -> tuple[CaseView, bool]:
    """Open or join the case of the person on screen; the case, and whether it is new."""
    principal.require_gate(Permission.GATE_LANE, gate)
    stored = recent_passage(session, ctx, gate, event_id, now)
    decision = Decision.model_validate_json(stored.decision_json)
    shown = decision.person
    person = None
    if shown is not None and shown.kind not in GRANT_KINDS:
        person = case_store.persons(session=session, person_ids=[shown.id]).get(shown.id)
    listed = ", ".join(s.value for s in dict.fromkeys(symptoms))
    row, new = cases.open_case(session, ctx.site, person, origin=Origin.SYMPTOMS, note=listed,
                               actor=None, recorded_by=principal.username, now=now, gate=gate,
                               celsius=decision.celsius)  # fmt: skip
    detail = listed if not note.strip() else f"{listed}: {note.strip()}"
    case_store.add_event(session=session, case_id=row.case_id, at=now,
                         kind=Reason.SYMPTOMS.value, actor=principal.username,
                         detail=detail)  # fmt: skip
    log_action(session, at=now, actor=principal.username, role=principal.role,
               action="gate.symptoms", target=f"{gate}/{event_id}",
               params={"case_id": row.case_id, "listed": listed})  # fmt: skip
    found = clinic_store.case(session=session, site=ctx.site, case_id=row.case_id)
    assert found is not None
    return case_view(*found), new


def record_incident(  # noqa: PLR0917 - who, where, what, with what note, on which passage
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    kind: Incident,
    note: str,
    event_id: uuid.UUID | None,
    *,
    now: datetime,
) -> IncidentView:
    principal.require_gate(Permission.GATE_LANE, gate)
    if event_id is not None:
        gate_passage(session, ctx, gate, event_id)  # a passage of this gate, if one is named
    row = IncidentRow(site=ctx.site, gate=gate, kind=kind.value, note=note.strip(),
                      event_id=None if event_id is None else str(event_id),
                      by=principal.username, at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return incident_view(row)


def incidents_since(
    session: Session, ctx: WebContext, principal: Principal, since: datetime
) -> list[IncidentView]:
    principal.require(Permission.DASHBOARD_VIEW)
    rows = session.scalars(
        select(IncidentRow)
        .where(IncidentRow.site == ctx.site, IncidentRow.at >= since)
        .order_by(IncidentRow.at.desc())
        .limit(INCIDENTS_LISTED)
    )
    return [incident_view(r) for r in rows]
