"""The gate outbox: durable, ordered, bounded, forwarded at a bounded rate, never silent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import DecisionArrived, Inbox, ScanSeen, ThermometerSaw
from gateway.outbox import Outbox, OutboxError, OutboxUplink
from kernel.clock import SystemClock
from schemas.ids import uuid7
from schemas.messages import Credential, Decision, Passage, Temperature
from tests.fixtures.gate_fakes import RecordingTurnstile, RecordingUplink


def passage(index: int = 0) -> Passage:
    now = datetime.now(UTC)
    return Passage(
        event_id=uuid7(),
        site="main",
        gate="north-1",
        direction="in",
        ts=now,
        credentials=[Credential(kind="card", data=f"card-{index}")],
        temperature=Temperature(celsius=Decimal("36.6"), sensor="ir-0", measured_at=now),
    )


class SwitchableUplink(RecordingUplink):
    """A recording uplink whose connection the test switches."""

    def __init__(self) -> None:
        super().__init__()
        self.online = False

    @property
    def connected(self) -> bool:
        return self.online


def test_passages_survive_a_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    outbox = Outbox(path)
    kept = [passage(i) for i in range(5)]
    for p in kept:
        outbox.add(p)
    assert outbox.answered(kept[1].event_id)
    assert not outbox.answered(kept[1].event_id)
    outbox.close()
    again = Outbox(path)  # the gate restarted
    assert [p.event_id for _, p in again.oldest(10)] == [kept[i].event_id for i in (0, 2, 3, 4)]
    assert again.high_water == 4
    # A new version of a kept passage replaces it in place (same position).
    decided = kept[2].model_copy(update={"local_decision": "admit"})
    again.add(decided)
    waiting = [p for _, p in again.oldest(10)]
    assert (waiting[1].event_id, waiting[1].local_decision) == (decided.event_id, "admit")
    assert len(again) == 4
    again.close()


def test_a_full_outbox_raises_and_keeps_what_it_had(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", max_bytes=32 * 1024)
    stored = 0

    def fill() -> None:
        nonlocal stored
        for index in range(10_000):
            outbox.add(passage(index))
            stored += 1

    with pytest.raises(OutboxError, match="full"):
        fill()
    assert 0 < stored < 10_000
    assert len(outbox) == stored


def test_unopenable_outbox_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(tmp_path / "dir")


def test_offline_passages_are_forwarded_in_order_at_a_bounded_rate(tmp_path: Path) -> None:
    inner = SwitchableUplink()
    clock = [0.0]
    uplink = OutboxUplink(
        inner,
        Outbox(tmp_path / "outbox.db"),
        forward_rate=10,
        max_in_flight=5,
        resend_s=3.0,
        monotonic=lambda: clock[0],
    )
    kept = [passage(i) for i in range(12)]
    for p in kept:
        uplink.publish_passage(p)  # offline: kept, not sent
    assert inner.passages == []
    assert uplink.backlog() == 12
    inner.online = True
    uplink.pump(0.0)
    assert [p.event_id for p in inner.passages] == [p.event_id for p in kept[:5]]
    for p in kept[:5]:
        uplink.answered(p.event_id)
    uplink.pump(0.1)  # one token per 0.1 s at 10/s
    assert len(inner.passages) == 6
    uplink.pump(0.6)  # five more tokens, but one of five in flight already
    assert [p.event_id for p in inner.passages] == [p.event_id for p in kept[:10]]
    # Unanswered ones are sent again after resend_s (the broker may have lost
    # them), oldest first, before the ones never sent.
    uplink.pump(4.0)
    assert [p.event_id for p in inner.passages[10:]] == [p.event_id for p in kept[5:10]]
    assert uplink.backlog() == 7


def test_a_live_passage_is_published_at_once_and_not_twice(tmp_path: Path) -> None:
    inner = SwitchableUplink()
    inner.online = True
    uplink = OutboxUplink(inner, Outbox(tmp_path / "outbox.db"), monotonic=lambda: 0.0)
    live = passage()
    uplink.publish_passage(live)
    uplink.pump(1.0)
    assert [p.event_id for p in inner.passages] == [live.event_id]
    assert inner.passages[0] == live.model_copy(update={"seq": inner.passages[0].seq})
    assert uplink.answered(live.event_id)
    assert uplink.backlog() == 0


def test_kept_passages_are_numbered_without_gaps_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    outbox = Outbox(path)
    stream = outbox.stream
    first = [outbox.add(passage(i)) for i in range(3)]
    assert [(p.seq.stream, p.seq.n) for p in first if p.seq] == [(stream, n) for n in (1, 2, 3)]
    # A new version keeps its number, whoever hands it in (the agent's copy has none).
    again = outbox.add(first[1].model_copy(update={"seq": None, "local_decision": "deny"}))
    assert again.seq == first[1].seq
    assert outbox.answered(first[0].event_id)
    outbox.close()
    reopened = Outbox(path)  # the gate restarted: same stream, numbering goes on
    assert reopened.stream == stream
    assert reopened.add(passage(9)).seq == first[0].seq.model_copy(update={"n": 4})  # type: ignore[union-attr]
    assert [p.seq.n for _, p in reopened.oldest(10) if p.seq] == [2, 3, 4]
    reopened.close()
    assert Outbox(tmp_path / "other.db").stream != stream  # a new outbox, a new stream


def test_sync_resends_every_unanswered_passage_at_once(tmp_path: Path) -> None:
    inner = SwitchableUplink()
    inner.online = True
    clock = [0.0]
    uplink = OutboxUplink(
        inner, Outbox(tmp_path / "outbox.db"), resend_s=3600, monotonic=lambda: clock[0]
    )
    sent = [passage(i) for i in range(3)]
    for each in sent:
        uplink.publish_passage(each)
    uplink.answered(sent[1].event_id)
    clock[0] = 1.0
    uplink.pump(clock[0])
    assert len(inner.passages) == 3  # nothing due again before resend_s ...
    uplink.resend_unanswered()  # ... unless the central side asks
    clock[0] = 2.0
    uplink.pump(clock[0])
    resent = inner.passages[3:]
    assert [p.event_id for p in resent] == [sent[0].event_id, sent[2].event_id]
    assert [p.seq.n for p in resent if p.seq] == [1, 3]  # with the numbers they had


def _agent(tmp_path: Path, inner: RecordingUplink, **outbox: object) -> tuple[GateAgent, Inbox]:
    inbox = Inbox()
    uplink = OutboxUplink(inner, Outbox(tmp_path / "outbox.db", **outbox))  # type: ignore[arg-type]
    agent = GateAgent(
        LaneConfig(site="main", gate="north-1", decision_timeout_s=0.3),
        inbox=inbox,
        uplink=uplink,
        turnstile=RecordingTurnstile(),
        clock=SystemClock(),
    )
    return agent, inbox


def test_answers_to_forwarded_passages_never_open_the_turnstile(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "outbox.db")
    left_over = passage()
    first.add(left_over)  # kept by an agent that was killed before the answer came
    first.close()
    inner = SwitchableUplink()
    inner.online = True
    agent, inbox = _agent(tmp_path, inner)
    agent.start()
    try:
        inner.wait_for(lambda: inner.passages)
        assert inner.passages[0].event_id == left_over.event_id
        fresh = Decision(
            event_id=left_over.event_id,
            gate="north-1",
            decision="admit",
            reasons=[],
            policy_version=1,
            decided_at=datetime.now(UTC),
        )
        inbox.put(DecisionArrived(fresh))
        inner.wait_for(lambda: agent.stats.forwarded_answers == 1)
        assert agent.turnstile.pulses == []  # type: ignore[attr-defined]
        assert agent.uplink.backlog() == 0
    finally:
        agent.stop()


def test_a_full_outbox_shows_in_the_status(tmp_path: Path) -> None:
    from devices.code_reader.contract import Scan
    from devices.thermometer.frames import Reading

    inner = SwitchableUplink()
    agent, inbox = _agent(tmp_path, inner, max_bytes=16 * 1024)
    agent.start()
    try:
        now = datetime.now(UTC)
        for index in range(200):
            inbox.put(ScanSeen(Scan(f"card-{index}", "code128", "scanner", 0.0)))
            inbox.put(ThermometerSaw(Reading("body", "ir-0", Decimal("36.5"), now)))
        inner.wait_for(lambda: agent.stats.outbox_failures > 0)
        status = agent.status()
        assert status.devices["outbox"].state == "fault"
        assert "full" in status.devices["outbox"].detail
        assert status.outbox > 0
    finally:
        agent.stop()


def test_unknown_event_answer_is_not_mistaken_for_a_kept_one(tmp_path: Path) -> None:
    uplink = OutboxUplink(SwitchableUplink(), Outbox(tmp_path / "outbox.db"))
    assert not uplink.answered(uuid.uuid4())
