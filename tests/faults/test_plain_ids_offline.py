"""Plain identifiers decided offline at a real gate agent, the broker down (issue 15, build 3).

The signed snapshot carries each person's ID-number hash and campus card number
(never the number) when the policy accepts plain IDs; a gate holding the site's
ID hash key finds the person by a number its reader gives, with nobody to ask.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kernel.plain_ids import plain_id_hasher
from services.broker_admin.local_broker import LocalBroker
from services.identity import DEMO_KEY
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from tests.fixtures.campus import Campus
from tests.fixtures.lanes import StartLane
from tests.fixtures.simulated_gate import Lane
from tests.fixtures.snapshots import StartPublisher

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

CARD = "0A1B2C3D"


def give_card(db_url: str, person_id: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(update(PersonRow).where(PersonRow.person_id == person_id)
                            .values(card_no=CARD))  # fmt: skip
    finally:
        engine.dispose()


def offline_lane(
    own_broker: LocalBroker, start_lane: StartLane, campus: Campus, *, key: bool
) -> Lane:
    lane = start_lane(own_broker.url, site_keys=campus.keys_dir,
                      hash_plain_id=plain_id_hasher(DEMO_KEY) if key else None)  # fmt: skip
    lane.wait_snapshot()
    own_broker.stop(signal.SIGKILL)
    return lane


def decided(lane: Lane, number: str, expect: str) -> str | None:
    sent = lane.person(number, expect=expect)
    lane.wait_for(lambda: any(d.event_id == sent.event_id for d in lane.decisions))
    decision = next(d for d in lane.decisions if d.event_id == sent.event_id)
    assert sent.credentials[0].kind == "card"
    assert decision.decision == expect
    return decision.person.id if decision.person else None


def test_an_id_number_and_a_card_resolve_offline(
    own_broker: LocalBroker, start_lane: StartLane, start_publisher: StartPublisher,
    campus: Campus, sqlite_url: str,
) -> None:  # fmt: skip
    give_card(sqlite_url, campus.people[1].person_id)
    start_publisher(accept_plain_ids=True)
    lane = offline_lane(own_broker, start_lane, campus, key=True)
    held = lane.agent.snapshots.current  # type: ignore[union-attr]
    assert held is not None
    body = held.snapshot.model_dump_json()
    assert all(p.id_number not in body for p in campus.people)  # hashes, never numbers
    person = campus.people[5]
    assert decided(lane, person.id_number, "admit") == person.person_id
    assert decided(lane, CARD, "admit") == campus.people[1].person_id
    assert decided(lane, "110105194912310021", "deny") is None


def test_without_the_key_a_gate_resolves_cards_only(
    own_broker: LocalBroker, start_lane: StartLane, start_publisher: StartPublisher,
    campus: Campus, sqlite_url: str,
) -> None:  # fmt: skip
    give_card(sqlite_url, campus.people[1].person_id)
    start_publisher(accept_plain_ids=True)
    lane = offline_lane(own_broker, start_lane, campus, key=False)
    assert decided(lane, campus.people[5].id_number, "deny") is None
    assert decided(lane, CARD, "admit") == campus.people[1].person_id


def test_a_policy_refusing_plain_ids_ships_no_hashes(
    own_broker: LocalBroker, start_lane: StartLane, start_publisher: StartPublisher,
    campus: Campus, sqlite_url: str,
) -> None:  # fmt: skip
    give_card(sqlite_url, campus.people[1].person_id)
    start_publisher()
    lane = offline_lane(own_broker, start_lane, campus, key=True)
    held = lane.agent.snapshots.current  # type: ignore[union-attr]
    assert held is not None
    assert all(p.id_hash is None and p.card_no is None for p in held.snapshot.persons)
    assert decided(lane, CARD, "deny") is None
