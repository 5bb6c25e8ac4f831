"""The batch processor without a broker: group commit, in-batch duplicates, one-time codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.codes import KeyRing
from schemas.messages import Credential, Decision, FeverAlert, Passage
from schemas.policy import Policy
from schemas.topics import GateChannel, gate_topic
from services.central.app import code_verifier
from services.central.processor import BatchProcessor, Incoming
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.models import EntryRow, UsedCodeRow
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage

SITE = "main"
TOPIC = gate_topic(SITE, "north-1", GateChannel.PASSAGE)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def campus_db(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def processor(engine: Engine, campus: Campus) -> Iterator[BatchProcessor]:
    processor = BatchProcessor(
        site=SITE,
        engine=engine,
        policy=Policy(site=SITE, version=3),
        verify=code_verifier(KeyRing.load(campus.keys_dir)),
    )
    yield processor
    processor.close()


def _decisions(result_outgoing: list[object]) -> list[Decision]:
    return [
        Decision.model_validate_json(o.payload)
        for o in result_outgoing  # type: ignore[attr-defined]
        if o.topic.endswith("/decision")
    ]  # type: ignore[attr-defined]


def test_a_batch_with_duplicates_and_a_reused_one_time_code(
    processor: BatchProcessor, campus: Campus, engine: Engine
) -> None:
    code = campus.code(campus.people[0].person_id, once=True)
    first, second = passage(SITE, code), passage(SITE, code)
    fever = passage(SITE, campus.code(campus.people[1].person_id), "38.2")
    batch = [first, first, second, fever, first]
    result = processor.process(
        [Incoming(TOPIC, p.model_dump_json().encode()) for p in batch], datetime.now(UTC)
    )
    decisions = _decisions(result.outgoing)
    assert [d.decision for d in decisions] == ["admit", "admit", "deny", "isolate", "admit"]
    assert "code_used" in decisions[2].reasons
    assert decisions[0] == decisions[1] == decisions[4]
    alerts = [
        FeverAlert.model_validate_json(o.payload)
        for o in result.outgoing
        if o.topic.endswith("/alert/fever")
    ]
    assert [a.event_id for a in alerts] == [fever.event_id]
    assert (result.decided, result.duplicates) == (3, 2)
    with Session(engine) as session:
        assert repo.count_entries(session=session) == 3
    # Redelivered later (QoS 1): the same answers, no new rows, no second case.
    again = processor.process(
        [Incoming(TOPIC, fever.model_dump_json().encode())], datetime.now(UTC)
    )
    assert _decisions(again.outgoing) == [decisions[3]]
    assert again.cases_opened == 0


@pytest.mark.parametrize("copy_first", [False, True])
@pytest.mark.parametrize("same_batch", [True, False])
def test_the_gates_offline_decision_is_kept_whichever_copy_comes_first(
    processor: BatchProcessor, campus: Campus, engine: Engine, copy_first: bool, same_batch: bool
) -> None:
    """A gate's first try (paho re-sends it) and its outbox's copy saying what it decided."""
    online = passage(SITE, campus.code(campus.people[0].person_id))
    forwarded = online.model_copy(update={"local_decision": "admit"})
    copies = [forwarded, online] if copy_first else [online, forwarded]
    messages = [Incoming(TOPIC, p.model_dump_json().encode()) for p in copies]
    batches = [messages] if same_batch else [[m] for m in messages]
    answers = [
        d for b in batches for d in _decisions(processor.process(b, datetime.now(UTC)).outgoing)
    ]
    assert [d.decision for d in answers] == ["admit", "admit"]
    with Session(engine) as session:
        row = session.scalars(select(EntryRow)).one()
    assert (row.event_id, row.local_decision) == (str(online.event_id), "admit")


def test_policy_version_and_locked_gate(
    processor: BatchProcessor, campus: Campus, engine: Engine
) -> None:
    with Session(engine) as session, session.begin():
        repo.set_gate_locked(
            session=session,
            site=SITE,
            gate="north-1",
            locked=True,
            by="security",
            at=datetime.now(UTC),
        )
    p = passage(SITE, campus.code(campus.people[2].person_id))
    result = processor.process([Incoming(TOPIC, p.model_dump_json().encode())], datetime.now(UTC))
    (decision,) = _decisions(result.outgoing)
    assert (decision.decision, decision.reasons, decision.policy_version) == (
        "deny",
        ["gate_closed"],
        3,
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=10))
def test_garbage_is_kept_and_good_passages_still_decided(
    processor: BatchProcessor, campus: Campus, garbage: list[bytes]
) -> None:
    good = passage(SITE, campus.code(campus.people[3].person_id))
    batch = [Incoming(TOPIC, g) for g in garbage] + [
        Incoming(TOPIC, good.model_dump_json().encode())
    ]
    result = processor.process(batch, datetime.now(UTC))
    assert result.rejected == len(garbage)
    assert [d.event_id for d in _decisions(result.outgoing)][-1] == good.event_id


def test_a_one_time_code_shown_twice_in_one_passage_is_spent_once(
    processor: BatchProcessor, campus: Campus, engine: Engine
) -> None:
    """It made the batch look like a lost race, and the worker retried it for ever."""
    code = campus.code(campus.people[4].person_id, once=True)
    twice = passage(SITE, code).model_copy(
        update={"credentials": [Credential(kind="qr", data=code)] * 2}
    )

    def answer(p: Passage) -> Decision:
        message = Incoming(TOPIC, p.model_dump_json().encode())
        (decision,) = _decisions(processor.process([message], datetime.now(UTC)).outgoing)
        return decision

    assert answer(twice).decision == "admit"
    reused = answer(passage(SITE, code))
    assert "code_used" in reused.reasons
    with Session(engine) as session:
        assert session.scalars(select(UsedCodeRow.event_id)).all() == [str(twice.event_id)]


@pytest.mark.parametrize(
    ("ts", "forwarded"),
    [
        (datetime(1970, 1, 2, tzinfo=UTC), False),
        (datetime(2001, 1, 1, tzinfo=UTC), True),
        (datetime(9999, 1, 1, tzinfo=UTC), True),
        (datetime(9999, 1, 1, tzinfo=UTC), False),
    ],
)
def test_a_gate_clock_out_of_bounds_is_judged_at_receipt_and_flagged(
    processor: BatchProcessor, campus: Campus, engine: Engine, ts: datetime, forwarded: bool
) -> None:
    """Issue 14, medium 5: passages dated 1970, 2001 and 9999 were admitted and logged as is."""
    now = datetime.now(UTC)
    person = campus.people[0].person_id
    sent = passage(SITE, campus.code(person, now=now), ts=ts,
                   local_decision="admit" if forwarded else None)  # fmt: skip
    result = processor.process([Incoming(TOPIC, sent.model_dump_json().encode())], now)
    (decision,) = _decisions(result.outgoing)
    # Judged at receipt: the code issued just now is valid (at 2001 or 9999 it would not be).
    assert decision.decision == "admit"
    assert decision.reasons == ["gate_clock"]
    with Session(engine) as session:
        row = session.scalars(select(EntryRow).where(EntryRow.event_id == str(sent.event_id))).one()
    assert row.reasons == "gate_clock"
    assert row.received_at == now


def test_a_gate_clock_within_bounds_is_not_flagged(
    processor: BatchProcessor, campus: Campus
) -> None:
    now = datetime.now(UTC)
    person = campus.people[0].person_id
    sent = passage(SITE, campus.code(person, now=now), ts=now + timedelta(minutes=2))
    result = processor.process([Incoming(TOPIC, sent.model_dump_json().encode())], now)
    (decision,) = _decisions(result.outgoing)
    assert (decision.decision, decision.reasons) == ("admit", [])
