"""Students' return approval (返校审批) as the central decision uses it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.central.processor import BatchProcessor
from services.roster import set_return_approval
from tests.fixtures.admin import SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage


def test_a_student_without_return_approval_is_denied_until_approved(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    student = next(p for p in campus.people if p.kind == "student")
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        set_return_approval(session=session, person_id=student.person_id, approved=False,
                            by="dean", now=now)  # fmt: skip
    (denied,) = decide_batch(processor, [passage(SITE, campus.code(student.person_id))], now)
    assert (denied.decision, denied.reasons) == ("deny", ["return_not_approved"])
    (leaving,) = decide_batch(
        processor, [passage(SITE, campus.code(student.person_id), direction="out")], now
    )
    assert leaving.decision == "admit"  # leaving is not held to the return approval
    with Session(engine) as session, session.begin():
        set_return_approval(session=session, person_id=student.person_id, approved=True,
                            by="dean", now=now)  # fmt: skip
    (admitted,) = decide_batch(processor, [passage(SITE, campus.code(student.person_id))], now)
    assert admitted.decision == "admit"
