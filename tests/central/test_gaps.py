"""The passage-numbering check without a broker: holes, grace, gaps, sync requests, fills.

Real SQLite and PostgreSQL; the time the tracker sees is handed in.  The check
against a real broker, a real central worker and a real gate: test_gap_recovery.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.central.gaps import MAX_JUMP, GapTracker, describe, holes_in
from services.storage import repository as repo
from services.storage.engine import make_engine
from services.storage.records import EntryRecord
from services.storage.stream_models import PassageGapRow

SITE = "main"
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
STREAM = "00112233aabbccdd"


@given(st.integers(0, 50), st.sets(st.integers(1, 200)))
def test_holes_are_exactly_the_missing_numbers(after: int, numbers: set[int]) -> None:
    received = sorted(n for n in numbers if n > after)
    missing, jumps = holes_in(after, received)
    assert jumps == []
    top = received[-1] if received else after
    assert missing == [n for n in range(after + 1, top) if n not in numbers]


def test_a_wild_jump_is_not_a_million_gaps() -> None:
    assert holes_in(0, [1, 3, 3 + MAX_JUMP + 2]) == ([2], [(4, 3 + MAX_JUMP + 1)])


def test_descriptions_fit_a_command() -> None:
    assert describe([3]) == "1 passage(s) never arrived: 3"
    assert describe([1, 2, 3, 7, 9, 10]) == "6 passage(s) never arrived: 1-3, 7, 9-10"
    assert len(describe(list(range(1, 2000, 2)))) == 200


class Gate:
    """Entries as a numbered gate's passages would leave them, and the syncs it is sent."""

    def __init__(self, sessions: sessionmaker[Session], name: str = "north-1") -> None:
        self.sessions = sessions
        self.name = name
        self.syncs: list[str] = []

    def entry(self, n: int) -> EntryRecord:
        return EntryRecord(
            event_id=uuid.uuid4(), site=SITE, gate=self.name, direction="in", ts=NOW,
            received_at=NOW, decided_at=NOW, person_id=None, decision="deny", reasons=(),
            celsius=None, policy_version=1, local_decision=None, recheck_of=None,
            case_id=None, passage_json="{}", decision_json="{}", seq_stream=STREAM, seq_n=n,
        )  # fmt: skip

    def logged(self, *numbers: int) -> list[tuple[str, str, int]]:
        records = [self.entry(n) for n in numbers]
        with self.sessions() as session, session.begin():
            repo.insert_entries(session=session, records=records)
        return [(self.name, STREAM, n) for n in numbers]

    def sync(self, gate: str, reason: str) -> None:
        assert gate == self.name
        self.syncs.append(reason)


class Clock:
    def __init__(self) -> None:
        self.mono = 0.0

    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return self.mono


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def tracker(sessions: sessionmaker[Session], gate: Gate, clock: Clock) -> GapTracker:
    return GapTracker(
        sessions=sessions, site=SITE, clock=clock, send_sync=gate.sync,
        grace_s=3.0, resync_s=10.0, monotonic=clock.monotonic,
    )  # fmt: skip


def gaps(sessions: sessionmaker[Session]) -> list[tuple[int, bool]]:
    with sessions() as session:
        rows = session.execute(select(PassageGapRow.n, PassageGapRow.filled_at).order_by("n"))
        return [(n, filled is not None) for n, filled in rows]


def test_a_missing_passage_is_recorded_asked_for_and_filled(engine: Engine) -> None:
    sessions = sessionmaker(engine, expire_on_commit=False)
    gate, clock = Gate(sessions), Clock()
    worker = tracker(sessions, gate, clock)
    worker.observe(gate.logged(1, 2, 4, 6))
    worker.check()
    assert (gaps(sessions), gate.syncs) == ([], [])  # 3 and 5 may still be committing
    clock.mono = 1.0
    worker.observe(gate.logged(5))  # 5 was in another worker's batch
    worker.check()
    assert gaps(sessions) == []
    clock.mono = 3.5
    worker.check()
    assert gaps(sessions) == [(3, False)]
    assert gate.syncs == ["1 passage(s) never arrived: 3"]
    assert worker.gaps_found == 1
    clock.mono = 5.0
    worker.check()
    assert len(gate.syncs) == 1  # asked once, not at every check ...
    clock.mono = 14.0
    worker.check()
    assert len(gate.syncs) == 2  # ... and again while it is still missing
    worker.observe(gate.logged(3, 7))  # the gate sent it again
    clock.mono = 15.0
    worker.check()
    assert gaps(sessions) == [(3, True)]
    assert worker.gaps_filled == 1
    clock.mono = 40.0
    worker.check()
    assert len(gate.syncs) == 2


def test_two_workers_record_a_gap_once(engine: Engine) -> None:
    sessions = sessionmaker(engine, expire_on_commit=False)
    gate, clock = Gate(sessions), Clock()
    first, second = tracker(sessions, gate, clock), tracker(sessions, gate, clock)
    numbered = gate.logged(1, 3)
    first.observe(numbered[:1])
    second.observe(numbered[1:])
    first.check()
    second.check()
    clock.mono = 4.0
    second.observe(gate.logged(4))
    first.observe(gate.logged(5))
    second.check()
    first.check()
    assert gaps(sessions) == [(2, False)]
    assert (second.gaps_found, first.gaps_found) == (1, 0)
    assert gate.syncs == ["1 passage(s) never arrived: 2"]  # the finder asks; the other waits


def test_numbers_of_other_gates_and_streams_do_not_mix(engine: Engine) -> None:
    sessions = sessionmaker(engine, expire_on_commit=False)
    north, south, clock = Gate(sessions), Gate(sessions, "south-2"), Clock()
    worker = GapTracker(sessions=sessions, site=SITE, clock=clock, send_sync=lambda *_: None,
                        grace_s=0.0, monotonic=clock.monotonic)  # fmt: skip
    worker.observe(north.logged(1, 2))
    worker.observe(south.logged(1, 3))
    worker.check()
    with sessions() as session:
        assert session.execute(select(PassageGapRow.gate, PassageGapRow.n)).all() == [
            ("south-2", 2)
        ]
