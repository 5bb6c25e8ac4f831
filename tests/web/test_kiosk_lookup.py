"""The kiosk's look-up (issue 15, build 6): a guard finds a person by number or name, with
photo and masked ID, only at their own gate, and sends a passage for them as a ``manual``
credential with the reading; every look-up is audit-logged and rate-limited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.messages import Passage
from schemas.policy import Policy
from schemas.topics import GateChannel, gate_filter
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.policy.service import seed_policy
from services.roster.photos import process_photo, store_photo
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from services.web.gates.lookup import LOOKUPS_PER_WINDOW
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus
from tests.fixtures.photos import image_bytes
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

G = "/api/v1/gates/north-1"


def prepare(db_url: str, site: str, campus: Campus, *, accept: bool = True) -> None:
    """Plain IDs accepted (or not); person 3 has a photo; person 4 may use south-2 only."""
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            seed_policy(session=session, policy=Policy(site=site, accept_plain_ids=accept),
                        by="test", now=now)  # fmt: skip
            store_photo(session=session, person_id=campus.people[3].person_id,
                        photo=process_photo(image_bytes()), now=now)  # fmt: skip
            south_only = PersonRow.person_id == campus.people[4].person_id
            session.execute(update(PersonRow).where(south_only).values(gates="south-2"))
    finally:
        engine.dispose()


def lookups(db_url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(AuditLogRow.actor, AuditLogRow.target,
                                          AuditLogRow.params_json)
                                   .where(AuditLogRow.action == "kiosk.lookup"))  # fmt: skip
            return [(a, t, p) for a, t, p in rows]
    finally:
        engine.dispose()


@pytest.fixture
def prepared(campus: Campus, site: str, users: str) -> Campus:
    """The campus prepared before a central worker starts (it adopts the stored policy)."""
    prepare(users, site, campus)
    return campus


@pytest.mark.slow
def test_a_guard_finds_a_person_and_sends_a_passage_for_them(
    web: WebServer, prepared: Campus, central: CentralWorker, campus: Campus, users: str,
    site: str, new_page: Any, listen: Any, broker: LocalBroker,
) -> None:  # fmt: skip
    person = campus.people[3]
    passages = listen(broker.url, gate_filter(site, GateChannel.PASSAGE, "north-1"))
    page = new_page()
    sign_in(page, web, "guard-n1", "/kiosk/north-1")
    page.fill("#lookup-q", person.person_id)
    page.click("#lookup-submit")
    found = page.locator("#lookup-results li")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text(person.name)
    expect(found.first).to_contain_text(person.id_number[-4:])
    expect(found.first).not_to_contain_text(person.person_id)  # a guard sees it masked
    expect(found.first.locator("img")).to_have_js_property("naturalWidth", 120)
    found.first.locator("button").click()
    page.fill("#manual-celsius", "36.6")
    page.click("#manual-submit")
    sent = Passage.model_validate_json(passages.get().payload)
    assert [(c.kind, c.data) for c in sent.credentials] == [("manual", person.person_id)]
    assert sent.temperature is not None
    assert (str(sent.temperature.celsius), sent.temperature.sensor) == ("36.6", "handheld")
    panel = page.locator("#decision")
    expect(panel).to_have_attribute("data-event-id", str(sent.event_id))
    expect(panel).to_have_attribute("data-decision", "admit")
    expect(page.locator("#person-name")).to_have_text(person.name)
    [(actor, target, params)] = lookups(users)
    assert (actor, target) == ("guard-n1", "north-1")
    assert json.loads(params)["found"] == [person.person_id]


def test_only_at_the_guards_own_gate_and_only_people_allowed_there(
    web: WebServer, campus: Campus, site: str, users: str
) -> None:
    prepare(users, site, campus)
    with web.client("guard-s2") as other:
        assert other.get(f"{G}/lookup", params={"q": campus.people[3].person_id}).status_code == 403
    for role in ("nurse", "auditor", "officer", "admin"):
        with web.client(role) as client:
            assert client.get(f"{G}/lookup", params={"q": "x"}).status_code == 403
    with web.client() as anonymous:
        assert anonymous.get(f"{G}/lookup", params={"q": "x"}).status_code == 401
    with web.client("guard-n1") as guard:
        south_only = guard.get(f"{G}/lookup", params={"q": campus.people[4].person_id})
        assert south_only.json() == []
        for hostile in ("%", "_", "%%", "' OR 1=1 --", "<script>", "\\"):
            assert guard.get(f"{G}/lookup", params={"q": hostile}).json() == []
    assert len(lookups(users)) == 7  # the 403s are not look-ups made: not logged


def test_a_ref_is_sealed_and_bound_to_the_guard_and_gate(
    web: WebServer, campus: Campus, site: str, users: str
) -> None:
    prepare(users, site, campus)
    with web.client("guard-n1") as guard:
        [found] = guard.get(f"{G}/lookup", params={"q": campus.people[3].person_id}).json()
        assert campus.people[3].person_id not in json.dumps(found)
        photo = guard.get(f"{G}/lookup/photo", params={"ref": found["ref"]})
        assert photo.headers["content-type"] == "image/jpeg"
        forged = found["ref"][:-4] + "AAAA"
        answer = guard.post(f"{G}/manual-passage", json={"ref": forged, "celsius": "36.5"})
        assert answer.status_code == 409
        assert guard.get(f"{G}/lookup/photo", params={"ref": "x" * 100}).status_code == 409


def test_refused_when_the_policy_takes_no_typed_ids(
    web: WebServer, campus: Campus, site: str, users: str
) -> None:
    prepare(users, site, campus, accept=False)
    with web.client("guard-n1") as guard:
        [found] = guard.get(f"{G}/lookup", params={"q": campus.people[3].person_id}).json()
        answer = guard.post(f"{G}/manual-passage", json={"ref": found["ref"], "celsius": "36.5"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "plain_ids_refused"


def test_a_guard_cannot_dump_the_roster(web: WebServer, campus: Campus, site: str) -> None:
    with web.client("guard-n1") as guard:
        for index in range(LOOKUPS_PER_WINDOW):
            answer = guard.get(f"{G}/lookup", params={"q": f"S{index:05d}"})
            assert answer.status_code == 200
        refused = guard.get(f"{G}/lookup", params={"q": campus.people[0].person_id})
    assert refused.status_code == 429
    assert refused.json()["error"] == "lookup_limit"
    assert int(refused.headers["retry-after"]) > 0
