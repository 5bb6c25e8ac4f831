"""Rows the API tests act on: passages at two gates (one of a known person), an open case,
a dead letter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr
from sqlalchemy.orm import Session

from schemas.ids import uuid7
from schemas.messages import Decision
from services.appointments import AppointmentRequest, add_approver, request_appointment
from services.identity import DEMO_KEY, IdHasher
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.records import CaseRecord, EntryRecord
from services.web.notify import store as letters
from services.web.notify.channels import Notice
from services.web.notify.service import notice_body
from tests.fixtures.passages import passage
from tests.roster.test_files import GOOD


@dataclass(frozen=True)
class Seeded:
    north_event: uuid.UUID
    south_event: uuid.UUID
    case_id: str
    letter_id: int
    person_id: str  # has one admitted passage at north-2
    appointments: tuple[str, str]  # requested; "admin" is an approver of their unit


UNIT = "Computer Science"


def appointment_request(site: str, now: datetime, **changes: object) -> AppointmentRequest:
    fields: dict[str, object] = {
        "site": site,
        "visitor_name": "Li Visitor",
        "phone": "13812345678",
        "id_number": SecretStr(GOOD[0]),
        "host_unit": UNIT,
        "purpose": "seminar",
        "gates": ["north-1"],
        "valid_from": now,
        "valid_until": now + timedelta(hours=4),
    }
    fields.update(changes)
    return AppointmentRequest.model_validate(fields)


PERSON_ID = "2026000001"


def entry_for(
    site: str,
    gate: str,
    decision: str = "deny",
    case_id: str | None = None,
    *,
    person_id: str | None = None,
    ago: timedelta = timedelta(),
    code: str = "CG1.x.y",
) -> EntryRecord:
    now = datetime.now(UTC) - ago
    p = passage(site, code, gate=gate, ts=now)
    reasons = {"isolate": ["fever"], "admit": []}.get(decision, ["not_whitelisted"])
    d = Decision(
        event_id=p.event_id,
        gate=gate,
        decision=decision,
        reasons=reasons,  # type: ignore[arg-type]
        celsius=Decimal("36.6"),
        case_id=case_id,
        policy_version=0,
        decided_at=now,
    )
    return EntryRecord(
        event_id=p.event_id,
        site=site,
        gate=gate,
        direction="in",
        ts=now,
        received_at=now,
        decided_at=now,
        person_id=person_id,
        decision=decision,
        reasons=tuple(reasons),
        celsius=Decimal("36.6"),
        policy_version=0,
        local_decision=None,
        recheck_of=None,
        case_id=case_id,
        passage_json=p.model_dump_json(),
        decision_json=d.model_dump_json(),
    )


def seed(db_url: str, site: str) -> Seeded:
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    case_id = f"C-{uuid7().hex[:20]}"
    north, south = entry_for(site, "north-1"), entry_for(site, "south-2")
    fever = entry_for(site, "north-1", "isolate", case_id)
    known = entry_for(site, "north-2", "admit", person_id=PERSON_ID)
    try:
        with Session(engine) as session, session.begin():
            repo.insert_entries(session=session, records=[north, south, fever, known])
            repo.open_cases(
                session=session,
                cases=[
                    CaseRecord(
                        case_id=case_id,
                        event_id=fever.event_id,
                        site=site,
                        gate="north-1",
                        person_id=None,
                        celsius=Decimal("38.5"),
                        opened_at=now,
                    )
                ],
            )
            letters.add_dead_letter(
                session=session,
                notice_id=str(uuid.uuid4()),
                channel="webhook",
                target="http://127.0.0.1:9/",
                kind="fever_alert",
                error="refused",
                payload=notice_body(Notice(str(uuid.uuid4()), "fever_alert", "clinic", "s", "t")),
                attempts=5,
                now=now,
            )
            add_approver(session=session, unit=UNIT, approver="admin", by="seed", now=now)
            made = [
                request_appointment(
                    session=session,
                    request=appointment_request(site, now),
                    hasher=IdHasher(DEMO_KEY),
                    by="admin",
                    now=now,
                ).appointment_id
                for _ in range(2)
            ]
        with Session(engine) as session:
            [letter] = letters.dead_letters(session=session, include_resolved=True, limit=1)
    finally:
        engine.dispose()
    return Seeded(north.event_id, south.event_id, case_id, letter.id, PERSON_ID, (made[0], made[1]))
