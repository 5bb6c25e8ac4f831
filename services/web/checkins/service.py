"""Check-ins for the web: permissions, views, the class sheet, missing reports, reminders."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field
from sqlalchemy.orm import Session

from kernel.decision.reasons import Symptom
from services.cases import checkins
from services.cases.checkins import Slot
from services.cases.lifecycle import CaseRefused
from services.cases.service import CaseNotFound
from services.storage.health_models import CheckinRow
from services.web.api.case_models import PersonId
from services.web.api.models import EnteredCelsius, Model
from services.web.auth.roles import Permission, Principal
from services.web.clinic.service import refusal
from services.web.context import WebContext
from services.web.errors import InvalidInput, NotFound
from services.web.notify.channels import Notice

Symptoms = Annotated[list[Symptom], Field(default_factory=list, max_length=len(Symptom))]


class CheckinRequest(Model):
    person_id: PersonId
    slot: Slot
    celsius: EnteredCelsius
    symptoms: Symptoms


class ClassEntry(Model):
    person_id: PersonId
    celsius: EnteredCelsius
    symptoms: Symptoms


class ClassRequest(Model):
    slot: Slot
    entries: Annotated[list[ClassEntry], Field(min_length=1, max_length=500)]


class CheckinView(Model):
    person_id: str
    day: date
    slot: Slot
    celsius: float
    symptoms: list[str]
    case_id: str | None
    new_case: bool = False
    by: str = ""
    at: datetime | None = None


class SheetLine(Model):
    person_id: str
    name: str
    unit: str
    morning: CheckinView | None
    noon: CheckinView | None


class SheetView(Model):
    unit: str
    day: date
    units: list[str]
    rows: list[SheetLine]


class MissingPerson(Model):
    person_id: str
    name: str


class MissingUnit(Model):
    unit: str
    people: list[MissingPerson]


class MissingView(Model):
    day: date
    slot: Slot
    deadline: time
    overdue: bool
    total: int
    units: list[MissingUnit]


class RemindResult(Model):
    missing: int
    units: int
    notified: bool


def deadlines(ctx: WebContext) -> dict[str, time]:
    web = ctx.settings.web
    return {"morning": web.checkin_morning_deadline, "noon": web.checkin_noon_deadline}


def _stored(row: CheckinRow | None) -> CheckinView | None:
    if row is None:
        return None
    return CheckinView(person_id=row.person_id, day=date.fromisoformat(row.day),
                       slot=Slot(row.slot), celsius=float(row.celsius),
                       symptoms=[s for s in row.symptoms.split(",") if s], case_id=row.case_id,
                       by=row.by, at=row.at)  # fmt: skip


def record(
    session: Session, ctx: WebContext, principal: Principal, body: CheckinRequest, *, now: datetime
) -> CheckinView:
    principal.require(Permission.CASE_ACT)
    try:
        done = checkins.record_checkin(session, body.person_id, body.slot, body.celsius,
                                       body.symptoms, by=principal.username, site=ctx.site,
                                       now=now, zone=ctx.tz)  # fmt: skip
    except CaseRefused as exc:
        raise refusal(exc) from exc
    except CaseNotFound as exc:
        raise NotFound("person_not_found", str(exc)) from exc
    return CheckinView(person_id=done.person_id, day=done.day, slot=done.slot,
                       celsius=float(done.celsius), symptoms=[s.value for s in done.symptoms],
                       case_id=done.case_id, new_case=done.new_case, by=principal.username,
                       at=now)  # fmt: skip


def record_class(
    session: Session, ctx: WebContext, principal: Principal, body: ClassRequest, *, now: datetime
) -> list[CheckinView]:
    """A whole class's slot in one transaction: one bad line and nothing is stored."""
    done = []
    for line, entry in enumerate(body.entries, start=1):
        request = CheckinRequest(person_id=entry.person_id, slot=body.slot,
                                 celsius=entry.celsius, symptoms=entry.symptoms)  # fmt: skip
        try:
            done.append(record(session, ctx, principal, request, now=now))
        except (InvalidInput, NotFound) as exc:
            raise InvalidInput(exc.code, f"line {line} ({entry.person_id}): {exc.detail}") from exc
    return done


def sheet(
    session: Session, ctx: WebContext, principal: Principal, *, unit: str | None, day: date
) -> SheetView:
    principal.require(Permission.CASE_VIEW)
    known = checkins.units(session)
    chosen = unit if unit is not None else (known[0] if known else "")
    rows = checkins.sheet(session, ctx.site, unit=chosen, day=day)
    lines = [SheetLine(person_id=r.person_id, name=r.name, unit=r.unit, morning=_stored(r.morning),
                       noon=_stored(r.noon)) for r in rows]  # fmt: skip
    return SheetView(unit=chosen, day=day, units=known, rows=lines)


def missing(
    session: Session, ctx: WebContext, principal: Principal, *, day: date, slot: Slot, now: datetime
) -> MissingView:
    principal.require(Permission.CASE_VIEW)
    found = checkins.missing(session, ctx.site, day=day, slot=slot)
    limits = deadlines(ctx)
    return MissingView(
        day=day,
        slot=slot,
        deadline=limits[slot.value],
        overdue=checkins.overdue(day, slot, now=now, zone=ctx.tz, deadlines=limits),
        total=sum(len(p) for p in found.values()),
        units=[MissingUnit(unit=u, people=[MissingPerson(person_id=p.person_id, name=p.name)
                                           for p in people]) for u, people in found.items()],
    )  # fmt: skip


def reminder(view: MissingView) -> Notice:
    lines = [f"{u.unit}: {len(u.people)}" for u in view.units]
    return Notice(
        notice_id=f"checkin-{view.day}-{view.slot}-{uuid.uuid4().hex[:8]}",
        kind="checkin_reminder",
        audience="clinic",
        subject=f"[campusgate] 晨午检未报 {view.total} 人 Check-ins missing: {view.total}",
        text=(f"{view.day} {view.slot}: {view.total} 人未报 / missing\n" + "\n".join(lines)),
        data={"type": "checkin_reminder", **view.model_dump(mode="json")},
    )
