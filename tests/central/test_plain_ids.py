"""Plain identifiers through the real central worker (issue 15, build 3), SQLite and PostgreSQL.

With the policy's ``accept_plain_ids``, an ID-card number typed at the kiosk
(``manual``) or read by a card reader (``card``) finds its person through the
roster's keyed hash, as does a passport number or a campus IC-card number; the
number itself is stored nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.messages import Credential
from schemas.policy import Policy
from services.central.worker import CentralWorker
from services.identity import DEMO_KEY, IdHasher
from services.policy.service import seed_policy
from services.roster import import_roster
from services.storage.engine import make_engine
from services.storage.models import EntryRow, PersonRow
from tests.fixtures.campus import Campus
from tests.fixtures.central import StartCentral
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage

pytestmark = pytest.mark.mqtt

PASSPORT_ROW = "X90001,John Smith,留学生,E12345678,护照,Physics,,,,*"


def prepare(db_url: str, site: str, holder: str, *, accept: bool = True) -> None:
    """The site's policy (plain IDs accepted or not), a card number and a passport holder."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            seed_policy(session=session, policy=Policy(site=site, accept_plain_ids=accept),
                        by="test", now=datetime.now(UTC))  # fmt: skip
            session.execute(update(PersonRow).where(PersonRow.person_id == holder)
                            .values(card_no="C0FFEE42"))  # fmt: skip
            header = "person_id,name,kind,id_number,doc_type,unit,household,valid_from,"
            report = import_roster(
                [header + "valid_until,gates", PASSPORT_ROW],
                session=session, hasher=IdHasher(DEMO_KEY),
            )  # fmt: skip
            assert report.errors == []
            assert report.inserted == 1
    finally:
        engine.dispose()


@pytest.fixture
def worker(campus: Campus, campus_db: str, site: str, start_central: StartCentral) -> CentralWorker:
    prepare(campus_db, site, campus.people[2].person_id)
    return start_central(id_hash_key=DEMO_KEY.hex(), demo_id_key=True)


def decide(gate: DecisionClient, site: str, kind: str, data: str) -> tuple[str, str | None]:
    sent = passage(site, None, credentials=[Credential(kind=kind, data=data)])
    gate.send(sent)
    decision = gate.wait(sent.event_id)
    assert decision is not None
    return decision.decision, decision.person.id if decision.person else None


def test_an_id_number_typed_or_read_finds_its_person(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str, campus_db: str
) -> None:
    person = campus.people[4]
    typed = person.id_number.lower().replace("x", "x ")  # a guard's typing: case, a space
    assert decide(gate, site, "manual", typed) == ("admit", person.person_id)
    assert decide(gate, site, "card", person.id_number) == ("admit", person.person_id)
    # The number is kept nowhere: the entry log has its last four characters only.
    engine = make_engine(campus_db)
    try:
        with Session(engine) as session:
            logged = session.scalars(select(EntryRow.passage_json)).all()
    finally:
        engine.dispose()
    assert len(logged) == 2
    for text in logged:
        assert person.id_number[:14] not in text.upper().replace(" ", "")
        assert person.id_number[-4:] in text.upper()


def test_a_card_number_and_a_passport_find_their_holders(
    worker: CentralWorker, gate: DecisionClient, site: str, campus: Campus
) -> None:
    assert decide(gate, site, "card", "C0FFEE42") == ("admit", campus.people[2].person_id)
    assert decide(gate, site, "manual", "e12345678") == ("admit", "X90001")


def test_an_unknown_number_is_not_whitelisted(
    worker: CentralWorker, gate: DecisionClient, site: str
) -> None:
    outcome, person = decide(gate, site, "card", "110105194912310021")
    assert (outcome, person) == ("deny", None)


def test_without_accept_plain_ids_a_number_is_refused(
    campus: Campus, campus_db: str, site: str, start_central: StartCentral, gate: DecisionClient
) -> None:
    prepare(campus_db, site, campus.people[2].person_id, accept=False)
    start_central(id_hash_key=DEMO_KEY.hex(), demo_id_key=True)
    outcome, _ = decide(gate, site, "card", campus.people[4].id_number)
    assert outcome == "deny"


def test_without_the_hash_key_only_ids_and_cards_resolve(
    campus: Campus, campus_db: str, site: str, start_central: StartCentral, gate: DecisionClient
) -> None:
    prepare(campus_db, site, campus.people[2].person_id)
    start_central()
    assert decide(gate, site, "card", campus.people[4].id_number) == ("deny", None)
    assert decide(gate, site, "card", "C0FFEE42") == ("admit", campus.people[2].person_id)
    assert decide(gate, site, "card", "C0FFEE42") == ("admit", "S00002")
