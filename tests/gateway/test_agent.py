"""The agent's loop, rule by rule: events in on the inbox, passages and pulses out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from devices.code_reader.contract import Scan
from devices.thermometer.frames import Fault
from devices.thermometer.frames import Reading as RawReading
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import (
    CommandArrived,
    DecisionArrived,
    GuardAction,
    Inbox,
    PolicyArrived,
    ScanSeen,
    ThermometerSaw,
)
from kernel.clock import SystemClock
from schemas.messages import Command, Decision, Outcome, Passage, PolicyAnnouncement
from tests.fixtures.gate_fakes import RecordingTurnstile, RecordingUplink

SITE, GATE = "main", "north-1"
CODE = "CG1.person.sig"


class Lane:
    """An agent on its own thread with recording fakes around it."""

    def __init__(self, **config: object) -> None:
        self.inbox = Inbox()
        self.uplink = RecordingUplink()
        self.turnstile = RecordingTurnstile()
        self.clock = SystemClock()
        self.agent = GateAgent(
            LaneConfig(site=SITE, gate=GATE, **config),  # type: ignore[arg-type]
            inbox=self.inbox,
            uplink=self.uplink,
            turnstile=self.turnstile,
            clock=self.clock,
        )

    def scan(self, text: str = CODE) -> None:
        self.inbox.put(ScanSeen(Scan(text, "qr", "camera", 0.0)))

    def reading(self, celsius: str, kind: str = "body") -> None:
        raw = RawReading(kind, "ir-0", Decimal(celsius), self.clock.now())  # type: ignore[arg-type]
        self.inbox.put(ThermometerSaw(raw))

    def person(self, celsius: str = "36.6", text: str = CODE) -> Passage:
        before = len(self.uplink.passages)
        self.scan(text)
        self.reading(celsius)
        return self.uplink.passage(before)

    def answer(self, passage: Passage, outcome: Outcome, *reasons: str, age: float = 0.0) -> None:
        decision = Decision(
            event_id=passage.event_id,
            gate=GATE,
            decision=outcome,
            reasons=list(reasons),
            policy_version=1,
            decided_at=self.clock.now() - timedelta(seconds=age),
        )
        self.inbox.put(DecisionArrived(decision))

    def command(self, name: str) -> None:
        command = Command(
            command_id=uuid.uuid4(),
            site=SITE,
            gate=GATE,
            command=name,  # type: ignore[arg-type]
            issued_by="security-1",
            reason="test",
            ts=self.clock.now(),
        )
        self.inbox.put(CommandArrived(command))

    def settled(self) -> None:
        """Wait until the loop has handled everything posted so far."""
        done: list[bool] = []
        self.agent.inbox.put(GuardAction(lambda: (done.append(True), self.uplink._changed())))
        self.uplink.wait_for(lambda: done)


@pytest.fixture
def lane() -> Iterator[Lane]:
    running = Lane(decision_timeout_s=0.5)
    running.agent.start()
    yield running
    running.agent.stop()


def test_admit_pulses_the_turnstile_and_deny_does_not(lane: Lane) -> None:
    first = lane.person("36.6")
    assert [c.data for c in first.credentials] == [CODE]
    assert first.temperature is not None
    assert first.temperature.celsius == Decimal("36.6")
    assert (first.site, first.gate, first.direction) == (SITE, GATE, "in")
    assert first.event_id.version == 7
    lane.answer(first, "admit")
    lane.turnstile.wait_for(lambda: lane.turnstile.pulses)
    second = lane.person("36.7", text="CG1.other.sig")
    lane.answer(second, "deny", "not_whitelisted")
    lane.settled()
    assert len(lane.turnstile.pulses) == 1
    assert lane.agent.last_decision is not None
    assert lane.agent.last_decision.reasons == ["not_whitelisted"]


def test_no_answer_keeps_the_turnstile_shut_and_a_late_answer_is_ignored(lane: Lane) -> None:
    passage = lane.person()
    lane.uplink.wait_for(lambda: lane.agent.stats.no_answer == 1)
    lane.answer(passage, "admit")
    lane.settled()
    assert lane.turnstile.pulses == []
    assert lane.agent.stats.late_decisions == 1


def test_a_repeated_decision_pulses_once(lane: Lane) -> None:
    passage = lane.person()
    lane.answer(passage, "admit")
    lane.answer(passage, "admit")
    lane.settled()
    assert len(lane.turnstile.pulses) == 1
    assert lane.agent.stats.ignored_decisions == 1


def test_lockdown_holds_admits_until_release_and_open_lets_one_through(lane: Lane) -> None:
    lane.command("lockdown")
    lane.uplink.wait_for(lambda: any(s.mode == "locked" for s in lane.uplink.statuses))
    assert lane.turnstile.closes == 1
    passage = lane.person()
    lane.answer(passage, "admit")
    lane.command("open")  # refused while locked
    lane.settled()
    assert lane.turnstile.pulses == []
    lane.command("release")
    lane.command("open")
    lane.turnstile.wait_for(lambda: lane.turnstile.pulses)
    assert lane.uplink.statuses[-1].mode == "online"


def test_a_fresh_decision_for_a_kiosk_remeasure_is_acted_on_a_stale_one_is_not(
    lane: Lane,
) -> None:
    kiosk = lane.person()  # stands for a passage the kiosk published, not this agent
    stale = kiosk.model_copy(update={"event_id": uuid.uuid4()})
    lane.answer(stale, "admit", age=60)
    fresh = kiosk.model_copy(update={"event_id": uuid.uuid4()})
    lane.answer(fresh, "admit")
    lane.turnstile.wait_for(lambda: lane.turnstile.pulses)
    lane.settled()
    assert len(lane.turnstile.pulses) == 1


def test_remeasure_links_to_the_original_with_its_codes(lane: Lane) -> None:
    original = lane.person("36.6")
    lane.answer(original, "recheck", "no_temperature")
    lane.agent.remeasure(original.event_id, Decimal("36.8"))
    again = lane.uplink.passage(1)
    assert again.recheck_of == original.event_id
    assert again.credentials == original.credentials
    assert again.temperature is not None
    assert again.temperature.sensor == "handheld"
    assert again.temperature.celsius == Decimal("36.8")


def test_no_mask_marks_only_the_next_passage(lane: Lane) -> None:
    lane.agent.mark_no_mask()
    assert lane.person().mask is False
    assert lane.person(text="CG1.b.c").mask is None


def test_scan_without_reading_is_published_without_temperature() -> None:
    lane = Lane(pairing_window_s=0.2)
    lane.agent.start()
    try:
        lane.scan()
        passage = lane.uplink.passage(0)
        assert passage.temperature is None
    finally:
        lane.agent.stop()


def test_unscanned_fever_is_published_for_the_clinic() -> None:
    lane = Lane(pairing_window_s=0.2)
    lane.agent.start()
    try:
        lane.reading("38.2")
        passage = lane.uplink.passage(0)
        assert passage.credentials == []
        assert passage.temperature is not None
        assert passage.temperature.celsius == Decimal("38.2")
        assert lane.agent.thermo_counts.fevers == 1
    finally:
        lane.agent.stop()


def test_policy_threshold_moves_the_unscanned_fever_line() -> None:
    lane = Lane(pairing_window_s=0.2)
    lane.agent.start()
    try:
        policy = PolicyAnnouncement(
            site=SITE, version=3, threshold=Decimal("37.0"), published_at=lane.clock.now()
        )
        lane.inbox.put(PolicyArrived(policy))
        lane.reading("37.1")
        assert lane.uplink.passage(0).credentials == []
    finally:
        lane.agent.stop()


def test_surface_readings_pair_only_through_the_offset() -> None:
    plain = Lane(pairing_window_s=0.3)
    plain.agent.start()
    try:
        plain.scan()
        plain.reading("34.2", kind="surface")
        assert plain.uplink.passage(0).temperature is None  # never screened raw
    finally:
        plain.agent.stop()
    offset = Lane(surface_offset=Decimal("2.5"))
    offset.agent.start()
    try:
        offset.scan()
        offset.reading("34.3", kind="surface")
        converted = offset.uplink.passage(0)
        assert converted.temperature is not None
        assert converted.temperature.celsius == Decimal("36.8")
    finally:
        offset.agent.stop()


def test_status_reports_counters_ambient_and_degraded_screening(lane: Lane) -> None:
    lane.reading("12.0", kind="ambient")
    lane.inbox.put(ThermometerSaw(Fault("checksum", "bad sum", datetime.now(UTC))))
    lane.settled()
    assert lane.agent.thermo_counts.readings == 1
    assert lane.agent.thermo_counts.faults == 1
    status = lane.agent.status()
    assert status.devices["thermometer"].state == "absent"
    assert status.devices["turnstile"].state == "ok"
    assert [r.kind for r in lane.uplink.readings] == ["ambient"]


def test_vehicle_barrier_opens_once_every_occupant_is_admitted() -> None:
    lane = Lane(lane="vehicle", decision_timeout_s=2.0)
    lane.agent.start()
    try:
        lane.agent.begin_vehicle("京A12345", 2)
        first = lane.person("36.5", text="CG1.driver.sig")
        assert first.vehicle is not None
        assert first.vehicle.occupants == 2
        lane.answer(first, "admit")
        second = lane.person("36.6", text="CG1.rider.sig")
        assert second.vehicle == first.vehicle
        lane.answer(second, "recheck", "no_temperature")
        lane.settled()
        assert lane.turnstile.pulses == []  # one occupant still blocks the vehicle
        lane.agent.remeasure(second.event_id, Decimal("36.7"))
        again = lane.uplink.passage(2)
        lane.answer(again, "admit")
        lane.turnstile.wait_for(lambda: lane.turnstile.pulses)
        lane.settled()
        assert len(lane.turnstile.pulses) == 1
        assert lane.agent.vehicle is None
    finally:
        lane.agent.stop()


def test_stop_says_goodbye_on_the_status_topic(lane: Lane) -> None:
    lane.agent.stop()
    assert lane.uplink.statuses[-1].online is False
    assert lane.uplink.closed


def test_guard_console_commands(lane: Lane) -> None:
    from gateway.agent.runner import console_command as command
    from gateway.agent.runner import decision_line
    from ui.i18n import t

    def console_command(agent: object, line: str) -> str:
        return command(agent, line, "en")  # type: ignore[arg-type]

    CONSOLE_HELP = t("en", "con.help")  # noqa: N806
    assert console_command(lane.agent, "nomask") == "next passage: no mask"
    assert lane.person().mask is False
    first = lane.uplink.passages[0]
    assert console_command(lane.agent, f"recheck {first.event_id} 36.9").startswith("re-measure")
    assert lane.uplink.passage(1).recheck_of == first.event_id
    assert CONSOLE_HELP in console_command(lane.agent, "recheck not-a-uuid 36.9")
    assert CONSOLE_HELP in console_command(lane.agent, "recheck " + str(first.event_id) + " hot")
    assert console_command(lane.agent, "fly away") == CONSOLE_HELP
    assert "turnstile: ok" in console_command(lane.agent, "status")
    assert console_command(lane.agent, "   ") == ""
    lane.answer(first, "deny", "not_whitelisted")
    lane.settled()
    assert lane.agent.last_decision is not None
    line = decision_line(lane.agent.last_decision, "en")
    assert "  DENY  " in line
    assert "unknown person" in line
    assert "not on the whitelist" in line
    assert "not_whitelisted" not in line
    # The Chinese console: words, never codes; the time on the site's clock with its offset.
    zh = decision_line(lane.agent.last_decision, "zh-CN")
    assert "禁止通行" in zh
    assert "不在白名单" in zh
    assert "未识别人员" in zh
    assert "not_whitelisted" not in zh
    assert "+08:00" in zh.split()[0]
    assert command(lane.agent, "nomask", "zh-CN") == "下一位：未戴口罩"
