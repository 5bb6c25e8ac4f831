"""Cases opened by the clinic's hand: one person, or the people of a contact trace."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from services.audit.trace import TraceReport, trace_contacts
from services.cases import service as cases
from services.cases import store as case_store
from services.cases.bulk import isolate_list
from services.cases.lifecycle import CaseRefused, Origin
from services.identity import IdHasher
from services.web.api.case_models import OpenedCase, OpenManyRequest, OpenManyResult, OpenRequest
from services.web.api.models import CaseView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store
from services.web.clinic.service import actor_of, case_view, refusal
from services.web.errors import InvalidInput, NotFound
from ui.i18n import say


def _view(session: Session, site: str, case_id: str) -> CaseView:
    found = store.case(session=session, site=site, case_id=case_id)
    assert found is not None
    return case_view(*found)


def open_one(
    session: Session, site: str, principal: Principal, body: OpenRequest, *, now: datetime
) -> CaseView:
    principal.require(Permission.CASE_ACT)
    person = case_store.persons(session=session, person_ids=[body.person_id]).get(body.person_id)
    if person is None:
        raise NotFound("person_not_found", f"no person {body.person_id}")
    try:
        row, _new = cases.open_case(session, site, person, origin=Origin(body.origin),
                                    note=body.note, actor=actor_of(principal), now=now)  # fmt: skip
    except CaseRefused as exc:
        raise refusal(exc) from exc
    return _view(session, site, row.case_id)


def open_many(
    session: Session, site: str, principal: Principal, body: OpenManyRequest, *, now: datetime
) -> OpenManyResult:
    """One case per person named (or the one isolating them already); unknown ids listed."""
    principal.require(Permission.CASE_ACT)
    ids = list(dict.fromkeys(body.person_ids))
    found = case_store.persons(session=session, person_ids=ids)
    opened: list[OpenedCase] = []
    actor = actor_of(principal)
    for person_id in ids:
        person = found.get(person_id)
        if person is None:
            continue
        row, new = cases.open_case(session, site, person, origin=Origin(body.origin),
                                   note=body.note, actor=actor, now=now)  # fmt: skip
        opened.append(OpenedCase(case_id=row.case_id, person_id=person_id, new=new))
    return OpenManyResult(opened=opened, unknown=[i for i in ids if i not in found])


# -- contacts of a case, and lists ----------------------------------------------------------

TRACE_WINDOW_MINUTES = 15
TRACE_DAYS = 14


def contacts(
    session: Session,
    site: str,
    principal: Principal,
    case_id: str,
    *,
    window_minutes: int,
    days: int,
    now: datetime,
) -> TraceReport:
    """The contact trace of a case's person (an audit query: logged under the clinician)."""
    principal.require(Permission.CASE_ACT)
    found = store.case(session=session, site=site, case_id=case_id)
    if found is None:
        raise NotFound("case_not_found", f"no case {case_id}")
    person_id = found[0].person_id
    if person_id is None:
        raise InvalidInput("case_has_no_person", "nobody was identified: no contacts to trace")
    return trace_contacts(
        session=session,
        person_id=person_id,
        window=timedelta(minutes=window_minutes),
        actor=principal.username,
        role=principal.role.value,
        now=now,
        since=now - timedelta(days=days),
        until=now,
    )


class ListProblemView(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    value: str
    reason: str


class ListReportView(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    matched: int
    opened: list[str]
    joined: list[str]
    problems: list[ListProblemView]  # the first MAX_PROBLEMS_SHOWN
    problem_count: int
    written: bool


def isolate_upload(
    session: Session,
    site: str,
    principal: Principal,
    data: bytes,
    *,
    hasher: IdHasher,
    origin: Origin,
    note: str,
    now: datetime,
    dry_run: bool,
) -> ListReportView:
    """Everyone an uploaded list names, all or nothing (services/cases/bulk.py)."""
    principal.require(Permission.CASE_ACT)
    try:
        report = isolate_list(session, site, data, hasher=hasher, origin=origin, note=note,
                              actor=actor_of(principal), now=now, dry_run=dry_run)  # fmt: skip
    except CaseRefused as exc:
        raise refusal(exc) from exc
    return ListReportView(
        rows=report.rows,
        matched=report.matched,
        opened=report.opened,
        joined=report.joined,
        problems=[
            ListProblemView(line=p.line, value=p.value, reason=say(principal.lang, p.reason))
            for p in report.problems
        ],
        problem_count=report.problem_count,
        written=report.written,
    )
