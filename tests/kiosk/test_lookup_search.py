"""The local kiosk's look-up over the snapshot, as properties (issue 20): any query text is
refused or searched, never raises otherwise; only people of this gate, at most five, a
number first; every person found by id, card, ID number and a part of their name; the
limits per guard in a window and a day; results that carry no id, card or hash."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gateway.kiosk.lookup import (
    DAY_S,
    LOOKUP_WINDOW_S,
    LOOKUPS_PER_DAY,
    LOOKUPS_PER_WINDOW,
    MAX_QUERY,
    MAX_RESULTS,
    Counted,
    LookupDesk,
    LookupRefused,
    allowed_here,
    query_text,
    search,
)
from kernel.plain_ids import plain_id_hasher
from schemas.snapshot import ID_HASH_HEX, SnapshotPerson
from tests.fixtures.local_kiosk import RecordingLane, kiosk_snapshot

GATE = "north-1"
HASH = plain_id_hasher(b"0123456789abcdef")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAMES = st.text(st.one_of(CJK, st.sampled_from("abcXYZ ·")), min_size=1, max_size=8).filter(
    lambda name: name.strip() == name and name.strip() != ""
)
ID_NUMBERS = st.from_regex(r"\A[0-9]{17}[0-9X]\Z")


@st.composite
def people(draw: st.DrawFn) -> list[tuple[SnapshotPerson, str]]:
    """Persons with unique ids, cards and ID numbers; (person, their ID number)."""
    count = draw(st.integers(1, 12))
    ids = draw(st.lists(st.from_regex(r"\A[ST][0-9]{5}\Z"), min_size=count, max_size=count,
                        unique=True))  # fmt: skip
    numbers = draw(st.lists(ID_NUMBERS, min_size=count, max_size=count, unique=True))
    found = []
    for index, (pid, number) in enumerate(zip(ids, numbers, strict=True)):
        person = SnapshotPerson(
            id=pid,
            name=draw(NAMES),
            kind="student",
            masked_id="*" * 14 + number[-4:],
            active=draw(st.booleans()),
            gates=draw(st.sampled_from([None, [GATE], ["south-2"], [GATE, "east-3"]])),
            id_hash=HASH(number)[:ID_HASH_HEX],
            card_no=f"C{index:07X}",
        )
        found.append((person, number))
    return found


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80) | st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_any_text_is_refused_clearly_or_searched(query: str) -> None:
    refused: LookupRefused | None = None
    try:
        text = query_text(query)
    except LookupRefused as exc:
        refused = exc
    if refused is not None:
        assert (refused.status, refused.error) == (422, "invalid_input")
        return
    assert 1 <= len(text) <= MAX_QUERY
    assert text.isprintable()
    assert text == text.strip()
    assert "\x00" not in text


@settings(max_examples=100, deadline=None)
@given(people(), st.text(max_size=70))
def test_only_people_of_this_gate_at_most_five_and_numbers_first(
    persons: list[tuple[SnapshotPerson, str]], query: str
) -> None:
    snapshot = kiosk_snapshot([p for p, _ in persons])
    try:
        text = query_text(query)
    except LookupRefused:
        return
    found = search(snapshot, GATE, text, HASH)
    assert len(found) <= MAX_RESULTS
    assert all(allowed_here(p, GATE) for p in found)
    assert len({p.id for p in found}) == len(found)


@settings(max_examples=100, deadline=None)
@given(people(), st.data())
def test_a_person_of_this_gate_is_found_by_each_number_and_a_part_of_the_name(
    persons: list[tuple[SnapshotPerson, str]], data: st.DataObject
) -> None:
    snapshot = kiosk_snapshot([p for p, _ in persons])
    here = [(p, n) for p, n in persons if allowed_here(p, GATE)]
    assume(here)
    person, number = data.draw(st.sampled_from(here))
    for query in (person.id, person.card_no or "", number, number.lower(), f" {number} "):
        found = search(snapshot, GATE, query_text(query), HASH)
        assert found[0] == person, query  # a number names one person, first
    name = person.name
    start = data.draw(st.integers(0, max(len(name) - 2, 0)))
    part = name[start : start + data.draw(st.integers(2, max(len(name), 2)))].strip()
    text = query_text(part if len(part) >= 2 else name)
    found = search(snapshot, GATE, text, HASH)
    assert person in found or len(found) == MAX_RESULTS


@settings(max_examples=60, deadline=None)
@given(people(), st.data())
def test_nobody_else_is_found_however_asked(
    persons: list[tuple[SnapshotPerson, str]], data: st.DataObject
) -> None:
    snapshot = kiosk_snapshot([p for p, _ in persons])
    elsewhere = [(p, n) for p, n in persons if not allowed_here(p, GATE)]
    assume(elsewhere)
    person, number = data.draw(st.sampled_from(elsewhere))
    for query in (person.id, person.card_no or "", number, person.name):
        assert person not in search(snapshot, GATE, query_text(query), HASH)
    # Without the site's key an ID number finds nobody; a snapshot of another gate, nobody.
    assert search(snapshot, GATE, number, None) == []
    assert search(kiosk_snapshot([p for p, _ in persons], gate="east-3"), GATE, "x", HASH) == []
    assert search(None, GATE, person.id, HASH) == []


@settings(max_examples=50, deadline=None)
@given(people())
def test_results_carry_no_id_card_or_hash(persons: list[tuple[SnapshotPerson, str]]) -> None:
    snapshot = kiosk_snapshot([p for p, _ in persons])
    desk = LookupDesk(gate=GATE, snapshot=lambda: snapshot, lane=RecordingLane(),
                      monotonic=lambda: 0.0, hash_plain_id=HASH)  # fmt: skip
    for person, number in persons:
        results = desk.lookup("guard-n1", number)
        text = json.dumps(results, ensure_ascii=False)
        for secret in (person.id, person.card_no or "-", number, person.id_hash or "-"):
            assert secret not in text
        assert len(results) == (1 if allowed_here(person, GATE) else 0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limits_hold_per_guard_in_the_window_and_the_day() -> None:
    clock = FakeClock()
    counted = Counted(clock)
    for _ in range(LOOKUPS_PER_WINDOW):
        counted.take("guard-n1")
    with pytest.raises(LookupRefused) as refused:
        counted.take("guard-n1")
    assert (refused.value.status, refused.value.error) == (429, "lookup_limit")
    assert 0 < refused.value.retry_after <= LOOKUP_WINDOW_S + 1
    counted.take("guard-n2")  # another guard has their own
    clock.now += LOOKUP_WINDOW_S
    counted.take("guard-n1")  # the window moved on
    # Spread out, never 30 in 10 minutes: the day's 200 still stop the guard.
    taken = LOOKUPS_PER_WINDOW + 1
    while taken < LOOKUPS_PER_DAY:
        clock.now += LOOKUP_WINDOW_S / 20
        counted.take("guard-n1")
        taken += 1
    clock.now += LOOKUP_WINDOW_S
    with pytest.raises(LookupRefused) as daily:
        counted.take("guard-n1")
    assert daily.value.retry_after > LOOKUP_WINDOW_S
    clock.now += DAY_S
    counted.take("guard-n1")


def test_a_ref_expires_and_is_sent_once_per_call() -> None:
    clock = FakeClock()
    lane = RecordingLane()
    person = SnapshotPerson(id="S00001", name="张三", kind="student", masked_id="****1234")
    desk = LookupDesk(gate=GATE, snapshot=lambda: kiosk_snapshot([person]), lane=lane,
                      monotonic=clock)  # fmt: skip
    [found] = desk.lookup("guard-n1", "张三")
    assert isinstance(desk.send("guard-n1", found["ref"], Decimal("36.5"), True), uuid.UUID)
    clock.now += 301
    with pytest.raises(LookupRefused) as expired:
        desk.send("guard-n1", found["ref"], Decimal("36.5"), True)
    assert expired.value.error == "lookup_expired"
    assert lane.calls == [("manual", ("S00001", Decimal("36.5"), "guard-n1", True))]


def test_a_person_gone_from_the_snapshot_since_the_look_up_is_not_sent() -> None:
    lane = RecordingLane()
    person = SnapshotPerson(id="S00001", name="张三", kind="student", masked_id="****1234")
    held = [kiosk_snapshot([person])]
    desk = LookupDesk(gate=GATE, snapshot=lambda: held[0], lane=lane, monotonic=FakeClock())
    [found] = desk.lookup("guard-n1", "S00001")
    moved = person.model_copy(update={"gates": ["south-2"]})
    held[0] = kiosk_snapshot([moved])  # the next snapshot: this gate is no longer theirs
    with pytest.raises(LookupRefused) as gone:
        desk.send("guard-n1", found["ref"], Decimal("36.5"), True)
    assert (gone.value.status, gone.value.error) == (404, "person_not_found")
    assert lane.calls == []
