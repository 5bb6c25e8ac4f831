"""At the lane: symptoms with the passage on screen, incidents; the office's list of incidents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from kernel.decision.reasons import Incident, Symptom
from services.web.api.case_models import Note
from services.web.api.common import PROBLEMS, GatePath
from services.web.api.models import CaseView, Model
from services.web.auth.roles import Permission, Principal
from services.web.clinic.service import case_event
from services.web.context import context
from services.web.gates import lane_health, notices
from services.web.gates.lane_health import IncidentView
from services.web.gates.service import day_start
from services.web.http import require
from services.web.live import events

router = APIRouter(prefix="/api/v1", tags=["lane health"], responses=PROBLEMS)

Lane = Annotated[Principal, Depends(require(Permission.GATE_LANE))]
Office = Annotated[Principal, Depends(require(Permission.DASHBOARD_VIEW))]


class SymptomsRequest(Model):
    event_id: uuid.UUID  # the passage on screen (of this gate, minutes old)
    symptoms: Annotated[list[Symptom], Field(min_length=1, max_length=len(Symptom))]
    note: Note = ""


class SymptomsRecorded(Model):
    case: CaseView
    new: bool  # False: joined the case already isolating the person


class IncidentRequest(Model):
    kind: Incident
    note: Note = ""
    event_id: uuid.UUID | None = None


@router.post("/gates/{gate}/symptoms", response_model=SymptomsRecorded)
def symptoms(
    gate: GatePath, body: SymptomsRequest, principal: Lane, request: Request
) -> SymptomsRecorded:
    """Symptoms of the person on screen: opens (or joins) their case, tells the clinic."""
    ctx = context(request)
    with ctx.transaction() as session:
        view, new = lane_health.record_symptoms(
            session, ctx, principal, gate, body.event_id, body.symptoms, body.note, now=ctx.now()
        )
    ctx.hub.publish_threadsafe(case_event(view))
    ctx.notifier.submit(lane_health.symptoms_notice(view, body.symptoms, principal.username))
    return SymptomsRecorded(case=view, new=new)


@router.post("/gates/{gate}/incidents", response_model=IncidentView)
def incident(
    gate: GatePath, body: IncidentRequest, principal: Lane, request: Request
) -> IncidentView:
    """Refused instructions, forced entry, or another incident, with the guard's note; the
    security office is notified."""
    ctx = context(request)
    with ctx.transaction() as session:
        view = lane_health.record_incident(session, ctx, principal, gate, body.kind, body.note,
                                           body.event_id, now=ctx.now())  # fmt: skip
    data = {"type": events.INCIDENT, **view.model_dump(mode="json")}
    ctx.hub.publish_threadsafe(events.LiveEvent(events.INCIDENT, gate, events.encode(data)))
    ctx.notifier.submit(notices.incident_notice(view))
    return view


@router.get("/incidents", response_model=list[IncidentView])
def incidents(principal: Office, request: Request) -> list[IncidentView]:
    """Today's incidents at every gate, newest first."""
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        return lane_health.incidents_since(session, ctx, principal, day_start(ctx, now))
