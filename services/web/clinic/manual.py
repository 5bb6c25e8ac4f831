"""Cases opened by the clinic's hand: one person, or the people of a contact trace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.cases import service as cases
from services.cases import store as case_store
from services.cases.lifecycle import CaseRefused, Origin
from services.web.api.case_models import OpenedCase, OpenManyRequest, OpenManyResult, OpenRequest
from services.web.api.models import CaseView
from services.web.auth.roles import Permission, Principal
from services.web.clinic import store
from services.web.clinic.service import actor_of, case_view, refusal
from services.web.errors import NotFound


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
