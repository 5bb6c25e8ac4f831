"""Check-ins for the web: permissions, views, the class sheet, missing reports, reminders.

The clinic enters and reads every unit's check-ins; a unit's 信息员 (``unit_officer``,
Permission.CHECKIN_UNIT) only their own units' (``unit_officers``, read per request):
their unit picker lists only those, their missing list only those, and a unit or a
person of another unit is refused 403 ``forbidden_unit`` (as another unit's visitor
is), a class batch naming one such person wholly, with its line.  Every report keeps
who entered it (``by``).
"""

from __future__ import annotations

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
from services.storage.models import PersonRow
from services.web.api.case_models import PersonId
from services.web.api.models import EnteredCelsius, Model
from services.web.auth.roles import Permission, Principal
from services.web.clinic.service import refusal
from services.web.context import WebContext
from services.web.errors import InvalidInput, NotFound, OtherUnit
from services.web.visitors.service import my_units

Scope = frozenset[str] | None
"""The units a user may work on: None is every unit (the clinic)."""

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
    notified: bool  # the clinic's channels were told
    officer_units: list[str] = Field(
        default_factory=list
    )  # the units whose 信息员 were sent their own list


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


def view_scope(session: Session, principal: Principal) -> Scope:
    """Whose check-ins ``principal`` may read: every unit (case viewers) or their own units."""
    if principal.can(Permission.CASE_VIEW):
        return None
    principal.require(Permission.CHECKIN_UNIT)
    return _own(session, principal)


def entry_scope(session: Session, principal: Principal) -> Scope:
    """For whom ``principal`` may enter check-ins: everyone (the clinic) or their units' people."""
    if principal.can(Permission.CASE_ACT):
        return None
    principal.require(Permission.CHECKIN_UNIT)
    return _own(session, principal)


def _own(session: Session, principal: Principal) -> frozenset[str]:
    # "-" and "" name the people of no unit on the sheet: nobody's unit to answer for.
    return frozenset(u for u in my_units(session, principal) if u.strip() not in ("", "-"))


def _check_person(session: Session, person_id: str, scope: Scope) -> None:
    if scope is None:
        return
    person = session.get(PersonRow, person_id)
    if (
        person is None
        or not person.active
        or person.kind not in checkins.REPORTING_KINDS
        or person.unit not in scope
    ):
        raise OtherUnit(detail=f"{person_id[:64]} is not a person of your units")


def record(
    session: Session, ctx: WebContext, principal: Principal, body: CheckinRequest, *, now: datetime
) -> CheckinView:
    """One report, entered by ``principal`` (a unit officer: for their units' people only)."""
    return _record(session, ctx, principal, body, now=now, scope=entry_scope(session, principal))


def _record(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    body: CheckinRequest,
    *,
    now: datetime,
    scope: Scope,
) -> CheckinView:
    _check_person(session, body.person_id, scope)
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
    scope = entry_scope(session, principal)
    done = []
    for line, entry in enumerate(body.entries, start=1):
        request = CheckinRequest(person_id=entry.person_id, slot=body.slot,
                                 celsius=entry.celsius, symptoms=entry.symptoms)  # fmt: skip
        try:
            done.append(_record(session, ctx, principal, request, now=now, scope=scope))
        except (InvalidInput, NotFound, OtherUnit) as exc:
            what = f"line {line} ({entry.person_id}): {exc.detail}"
            kind = OtherUnit if isinstance(exc, OtherUnit) else InvalidInput
            raise kind(exc.code, what) from exc
    return done


def sheet(
    session: Session, ctx: WebContext, principal: Principal, *, unit: str | None, day: date
) -> SheetView:
    scope = view_scope(session, principal)
    known = checkins.units(session) if scope is None else sorted(scope)
    if unit is not None and scope is not None and unit not in scope:
        raise OtherUnit(detail=f"{principal.username} does not answer for {unit[:200]}")
    chosen = unit if unit is not None else (known[0] if known else "")
    if scope is not None and not chosen:
        return SheetView(unit="", day=day, units=[], rows=[])  # an officer of no unit yet
    rows = checkins.sheet(session, ctx.site, unit=chosen, day=day)
    lines = [SheetLine(person_id=r.person_id, name=r.name, unit=r.unit, morning=_stored(r.morning),
                       noon=_stored(r.noon)) for r in rows]  # fmt: skip
    return SheetView(unit=chosen, day=day, units=known, rows=lines)


def missing(
    session: Session, ctx: WebContext, principal: Principal, *, day: date, slot: Slot, now: datetime
) -> MissingView:
    """Who has not reported ``slot`` on ``day``, per unit (an officer: their units only)."""
    scope = view_scope(session, principal)
    return missing_view(session, ctx, day=day, slot=slot, now=now, scope=scope)


def missing_view(
    session: Session, ctx: WebContext, *, day: date, slot: Slot, now: datetime, scope: Scope
) -> MissingView:
    """:func:`missing` for ``scope`` (None: every unit, as the clinic and the reminders see it)."""
    found = checkins.missing(session, ctx.site, day=day, slot=slot)
    if scope is not None:
        found = {u: people for u, people in found.items() if u in scope}
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
