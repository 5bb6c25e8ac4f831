"""The daily check-in (晨午检) on a person's own my-code page.

The panel below the code is ``_checkin.html`` (the form issue 17 made self-contained);
its report is POSTed as JSON to ``/me/checkin``, signed in by the person's own session
cookie (path ``/me``, SameSite=Strict, so no other site can send it) and refused
without one.  The person comes from that session, never from the request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from kernel.decision.reasons import Symptom
from services.cases import checkins
from services.cases.checkins import Slot
from services.cases.lifecycle import CaseRefused
from services.cases.service import CaseNotFound
from services.web.api.models import EnteredCelsius, Model
from services.web.checkins.service import Symptoms
from services.web.clinic.service import refusal
from services.web.context import context
from services.web.errors import NotFound
from services.web.me.panels import Panel, register
from services.web.me.session import person_of

router = APIRouter(include_in_schema=False)
ENDPOINT = "/me/checkin"


class SelfCheckin(Model):
    slot: Slot
    celsius: EnteredCelsius
    symptoms: Symptoms


class SelfCheckinDone(Model):
    slot: Slot
    celsius: float
    case_opened: bool


@router.post(ENDPOINT, response_model=SelfCheckinDone)
def check_in(body: SelfCheckin, request: Request) -> SelfCheckinDone:
    ctx = context(request)
    now = ctx.now()
    with ctx.transaction() as session:
        person_id = person_of(request, session, secret=ctx.secret, now=now)
        try:
            done = checkins.record_checkin(session, person_id, body.slot, body.celsius,
                                           body.symptoms, by=f"self:{person_id}", site=ctx.site,
                                           now=now, zone=ctx.tz)  # fmt: skip
        except CaseRefused as exc:
            raise refusal(exc) from exc
        except CaseNotFound as exc:
            raise NotFound("person_not_found", str(exc)) from exc
    return SelfCheckinDone(slot=done.slot, celsius=float(done.celsius), case_opened=done.new_case)


def _panel_values(_session: Session, _person_id: str, _now: datetime) -> Mapping[str, object]:
    return {"checkin_endpoint": ENDPOINT, "symptom_codes": [s.value for s in Symptom]}


register(Panel("_me_checkin.html", _panel_values))
