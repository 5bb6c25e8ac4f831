"""What the clinic does to cases, for the web service and the CLI alike.

``act`` applies one lifecycle action (services/cases/lifecycle.py) to a stored
case; ``open_case`` isolates a person by hand (close contact, an authority's
list, symptoms, a check-in), or joins the case that already isolates them.  Both
leave a timeline line with who and when.  The caller says who acts and in which
role: the web service from the signed-in user, the CLI from ``--by`` (a clinic
operator at the database's console).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from kernel.errors import NotFound
from services.cases import store
from services.cases.lifecycle import Action, Actor, CaseRefused, Origin, Status, apply
from services.storage.models import IsolationCaseRow, PersonRow


class CaseNotFound(NotFound):
    """No such case at this site."""


def new_case_id(now: datetime) -> str:
    """Like the central's ids (time first, then randomness): sortable, unguessable."""
    return f"C-{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"


def load(session: Session, site: str, case_id: str) -> IsolationCaseRow:
    row = store.find(session=session, site=site, case_id=case_id)
    if row is None:
        raise CaseNotFound(f"no case {case_id}")
    return row


def act(
    session: Session, site: str, case_id: str, action: Action, *, actor: Actor, now: datetime
) -> IsolationCaseRow:
    """Apply ``action`` by ``actor``; the case as stored after it, or CaseRefused/CaseNotFound."""
    row = load(session, site, case_id)
    before = store.state_of(row)
    step = apply(before, action, actor)
    if not store.write_step(session=session, row=row, before=before, action=action, step=step,
                            actor=actor, now=now):  # fmt: skip
        raise CaseRefused("case_changed", "someone changed the case meanwhile; look again")
    return load(session, site, case_id)


def open_case(
    session: Session,
    site: str,
    person: PersonRow | None,
    *,
    origin: Origin,
    note: str,
    actor: Actor | None,
    now: datetime,
    gate: str = "",
    celsius: Decimal | None = None,
    recorded_by: str = "",
) -> tuple[IsolationCaseRow, bool]:
    """Isolate ``person``: a new case, or the one already isolating them (False: joined).

    ``actor`` None is the system itself: symptoms a guard recorded at the lane (who
    is ``recorded_by``), a check-in over the threshold.  A person opening a case by
    hand must be a clinician.  ``person`` None: someone the gate could not identify.
    """
    if actor is not None and actor.role not in ("clinic",):
        raise CaseRefused("not_clinician", f"{actor.role} may not open a case", "forbidden")
    who = recorded_by if actor is None else actor.name
    detail = origin.value if not note.strip() else f"{origin.value}: {note.strip()[:500]}"
    existing = None
    if person is not None:
        existing = store.isolating_case(session=session, site=site, person_id=person.person_id)
    if existing is not None:
        store.add_event(session=session, case_id=existing.case_id, at=now, kind="joined",
                        actor=who, detail=detail)  # fmt: skip
        return existing, False
    row = IsolationCaseRow(
        case_id=new_case_id(now),
        event_id=None,
        site=site,
        gate=gate,
        person_id=None if person is None else person.person_id,
        celsius=celsius,
        status=Status.OPEN.value,
        opened_at=now,
        origin=origin.value,
        opened_by=who or None,
        note=note.strip()[:500],
        updated_at=now,
    )
    if actor is not None:
        # The clinician who opens a case has seen it: acknowledged, so it never escalates.
        row.status, row.acknowledged_at, row.acknowledged_by = (
            Status.ACKNOWLEDGED.value, now, actor.name
        )  # fmt: skip
    session.add(row)
    session.flush()
    if actor is not None:
        store.add_event(session=session, case_id=row.case_id, at=now, kind="acknowledged",
                        actor=actor.name)  # fmt: skip
    return row, True
