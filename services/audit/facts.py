"""What the database holds about one passage, as an explanation shows it.

The person (as the roster is *now*), the appointment or pass, the isolation
case, one-time codes spent, the household's exits before it, and the gate's
state now: each masked by the asker's role.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.decision.reasons import Reason
from kernel.masking import Masker, mask_id_number
from services.passes.service import pass_state
from services.storage.models import (
    AppointmentRow,
    GateStateRow,
    HouseholdExitRow,
    IsolationCaseRow,
    PersonRow,
    TempPassRow,
    UsedCodeRow,
)


def passage_facts(
    session: Session,
    row: Any,
    masker: Masker,
    *,
    grants_in_codes: list[str],
    once_jtis: list[str],
    exit_window: timedelta,
) -> dict[str, Any]:
    """The facts about entry ``row``; ``grants_in_codes`` and ``once_jtis`` come from its codes."""
    facts: dict[str, Any] = {}
    person = _person(session, row.person_id, masker) if row.person_id else None
    if person is not None:
        facts["person"] = person
        facts["household"] = person["household"]
    if row.grant_id:
        facts["grant"] = _grant(session, row.grant_id, masker, row.decided_at)
    for subject in grants_in_codes:
        if "grant" not in facts:
            facts["grant"] = _grant(session, subject, masker, row.decided_at)
    case = session.get(IsolationCaseRow, row.case_id) if row.case_id else None
    if case is not None:
        facts["case"] = {
            "case_id": case.case_id,
            "status": case.status,
            "opened_at": case.opened_at,
            "opened_by_this_passage": case.event_id == row.event_id,
            "celsius": case.celsius,
            "acknowledged_by": case.acknowledged_by,
            "clinic_celsius": case.clinic_celsius,
            "outcome": case.outcome,
            "closed_at": case.closed_at,
        }
    if once_jtis:
        facts["used_codes"] = [
            {"jti": u.jti, "event_id": u.event_id, "used_at": u.used_at}
            for u in session.scalars(select(UsedCodeRow).where(UsedCodeRow.jti.in_(once_jtis)))
        ]
    if Reason.QUOTA_EXCEEDED in (row.reasons or "").split(",") and facts.get("household"):
        facts["household_exits_before"] = _exits_before(
            session, facts["household"], row.decided_at, exit_window, masker
        )
    gate_state = session.get(GateStateRow, (row.site, row.gate))
    if gate_state is not None:
        facts["gate_now"] = {
            "locked": gate_state.locked,
            "since": gate_state.updated_at,
            "by": gate_state.updated_by,
        }
    return facts


def _person(session: Session, person_id: str, masker: Masker) -> dict[str, Any] | None:
    person = session.get(PersonRow, person_id)
    if person is None:
        return None
    return {
        "person_id": masker.person_id(person.person_id),
        "name": masker.name(person.name),
        "kind": person.kind,
        "masked_id": mask_id_number(person.id_last4),
        "active": person.active,
        "valid_from": person.valid_from,
        "valid_until": person.valid_until,
        "gates": person.gates,
        "household": person.household,
        "return_approved": person.return_approved,
        "return_approved_by": person.return_approved_by,
        "as_of": "the roster now",
    }


def _exits_before(
    session: Session, household: str, at: datetime, window: timedelta, masker: Masker
) -> list[dict[str, Any]]:
    """The household's exits in the quota window before ``at``, oldest first."""
    return [
        {"person_id": masker.person_id(e.person_id), "exited_at": e.exited_at, "gate": e.gate}
        for e in session.scalars(
            select(HouseholdExitRow)
            .where(
                HouseholdExitRow.household == household,
                HouseholdExitRow.exited_at > at - window,
                HouseholdExitRow.exited_at <= at,
            )
            .order_by(HouseholdExitRow.exited_at)
        )
    ]


def _grant(session: Session, grant_id: str, masker: Masker, at: datetime) -> dict[str, Any]:
    if grant_id.startswith("A-"):
        a = session.get(AppointmentRow, grant_id)
        if a is None:
            return {"id": grant_id, "type": "appointment", "status": "not found"}
        return {
            "id": grant_id,
            "type": "appointment",
            "visitor": masker.name(a.visitor_name),
            "masked_id": mask_id_number(a.id_last4),
            "host_unit": a.host_unit,
            "status": a.status,
            "approved_by": a.decided_by,
            "decided_at": a.decided_at,
            "gates": a.gates,
            "valid_from": a.valid_from,
            "valid_until": a.valid_until,
            "once": a.once,
            "purpose": a.purpose,
        }
    p = session.get(TempPassRow, grant_id)
    if p is None:
        return {"id": grant_id, "type": "pass", "status": "not found"}
    return {
        "id": grant_id,
        "type": "pass",
        "category": p.category,
        "holder": masker.name(p.holder_name),
        "masked_id": mask_id_number(p.id_last4),
        "status": pass_state(p, at),
        "issued_by": p.issued_by,
        "gates": p.gates,
        "valid_from": p.valid_from,
        "valid_until": p.valid_until,
        "uses_now": p.uses,
        "max_uses": p.max_uses,
        "revoked_by": p.revoked_by,
        "revoked_at": p.revoked_at,
    }
