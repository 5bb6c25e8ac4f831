"""Handheld mode and a thermometer set-up that explains itself (issue 20), on real ptys."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.code_reader.contract import Scan
from devices.thermometer import open_thermometer
from devices.thermometer.binary import Lu90614
from devices.thermometer.simulator import ThermometerSimulator
from gateway.agent.agent import GateAgent, LaneConfig
from gateway.agent.events import Inbox, ScanSeen
from gateway.agent.handheld import (
    HANDHELD_MAX_C,
    HANDHELD_MIN_C,
    HANDHELD_SENSOR,
    Handheld,
    handheld_celsius,
)
from gateway.agent.runner import console_command as command
from kernel.clock import SystemClock
from schemas.messages import GateStatus, Passage
from tests.fixtures.gate_fakes import RecordingTurnstile, RecordingUplink

SITE, GATE = "main", "north-1"
CODE = "CG1.handheld-person.sig"


class RealLane:
    """An agent with a real thermometer driver on a simulator's pty (or none)."""

    def __init__(self, url: str | None, **config: object) -> None:
        self.inbox = Inbox()
        self.uplink = RecordingUplink()
        self.clock = SystemClock()
        thermometer = (
            None
            if url is None
            else open_thermometer(
                url,
                clock=self.clock,
                on_event=self.inbox.thermometer_sink,
                default_sensor=f"{GATE}/thermometer",
            )
        )
        offset = thermometer.surface_offset if thermometer is not None else None
        self.agent = GateAgent(
            LaneConfig(
                site=SITE,
                gate=GATE,
                surface_offset=offset,
                handheld_when_absent=True,
                **config,  # type: ignore[arg-type]
            ),
            inbox=self.inbox,
            uplink=self.uplink,
            turnstile=RecordingTurnstile(),
            thermometer=thermometer,
            clock=self.clock,
        )

    def scan(self, text: str = CODE) -> None:
        self.inbox.put(ScanSeen(Scan(text, "qr", "scanner", 0.0)))

    def mark(self) -> int:
        """Where the statuses published from now on begin."""
        return len(self.uplink.statuses)

    def status(self, probe: Callable[[GateStatus], bool], since: int = 0) -> GateStatus:
        """The first status published after ``since`` that ``probe`` accepts."""
        return self.uplink.wait_for(
            lambda: next((s for s in self.uplink.statuses[since:] if probe(s)), None)
        )

    def next_passage(self, before: int) -> Passage:
        return self.uplink.passage(before)


@pytest.fixture
def lanes() -> Iterator[Callable[..., RealLane]]:
    started: list[RealLane] = []

    def start(url: str | None, **config: object) -> RealLane:
        lane = RealLane(url, **config)
        lane.agent.start()
        started.append(lane)
        return lane

    yield start
    for lane in started:
        lane.agent.stop()


def thermometer_is(state: str, screening: str) -> Callable[[GateStatus], bool]:
    return lambda s: s.devices["thermometer"].state == state and s.screening == screening


def console_command(agent: object, line: str) -> str:
    return command(agent, line, "en")  # type: ignore[arg-type]


def test_a_surface_module_without_offset_says_so_in_status_and_log_and_goes_handheld(
    lanes: Callable[..., RealLane],
    thermo: Callable[[str], ThermometerSimulator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = thermo("gy-mcu90614")
    with caplog.at_level(logging.WARNING, logger="gateway.agent.agent"):
        lane = lanes(f"serial://{sim.link}?protocol=gy-mcu90614")
        status = lane.status(thermometer_is("unconfigured", "handheld"))
    assert "set offset=" in status.devices["thermometer"].detail
    assert any("offset=" in r.getMessage() for r in caplog.records), caplog.text


def test_surface_readings_with_no_offset_make_any_module_unconfigured(
    lanes: Callable[..., RealLane], thermo: Callable[[str], ThermometerSimulator]
) -> None:
    # LU90614 in object mode sends surface readings: found while running, not at start.
    sim = thermo("lu90614")
    lane = lanes(f"serial://{sim.link}?protocol=lu90614")
    lane.status(thermometer_is("ok", "thermometer"))
    mark = lane.mark()
    sim.send(Lu90614.build(Decimal("34.10"), body=False))
    status = lane.status(thermometer_is("unconfigured", "handheld"), since=mark)
    assert "offset=" in status.devices["thermometer"].detail


def test_readings_carry_the_gate_and_device_as_sensor_id(
    lanes: Callable[..., RealLane], thermo: Callable[[str], ThermometerSimulator]
) -> None:
    sim = thermo("lu90614")
    lane = lanes(f"serial://{sim.link}?protocol=lu90614")
    lane.status(thermometer_is("ok", "thermometer"))
    lane.scan()
    sim.person(Decimal("36.60"))
    passage = lane.next_passage(0)
    assert passage.temperature is not None
    assert passage.temperature.sensor == f"{GATE}/thermometer"


def test_an_unplugged_thermometer_switches_the_lane_to_handheld_and_back(
    lanes: Callable[..., RealLane], thermo: Callable[[str], ThermometerSimulator]
) -> None:
    sim = thermo("lu90614")
    lane = lanes(f"serial://{sim.link}?protocol=lu90614")
    lane.status(thermometer_is("ok", "thermometer"))
    mark = lane.mark()
    sim.unplug()
    lane.status(thermometer_is("fault", "handheld"), since=mark)
    # One step per person: the scan, then the guard's typed reading, make one passage.
    before = len(lane.uplink.passages)
    lane.scan()
    lane.agent.typed_temperature("36.8")
    passage = lane.next_passage(before)
    assert passage.temperature is not None
    assert (passage.temperature.sensor, passage.temperature.celsius) == (
        HANDHELD_SENSOR,
        Decimal("36.8"),
    )
    assert passage.recheck_of is None
    mark = lane.mark()
    sim.plug()
    lane.status(thermometer_is("ok", "thermometer"), since=mark)
    before = len(lane.uplink.passages)
    lane.scan("CG1.next-person.sig")
    sim.person(Decimal("36.40"))
    back = lane.next_passage(before)
    assert back.temperature is not None
    assert back.temperature.sensor == f"{GATE}/thermometer"


def test_without_a_thermometer_the_guard_types_before_or_after_the_scan(
    lanes: Callable[..., RealLane],
) -> None:
    lane = lanes(None)
    lane.status(lambda s: s.screening == "handheld" and s.devices["thermometer"].state == "absent")
    lane.agent.typed_temperature("36.5")  # before the scan
    lane.scan("CG1.first.sig")
    first = lane.next_passage(0)
    lane.scan("CG1.second.sig")  # after the scan
    lane.agent.typed_temperature("38.1")
    second = lane.next_passage(1)
    got = [(p.credentials[0].data, p.temperature) for p in (first, second)]
    assert [(code, t.celsius if t else None) for code, t in got] == [
        ("CG1.first.sig", Decimal("36.5")),
        ("CG1.second.sig", Decimal("38.1")),
    ]
    assert len(lane.uplink.passages) == 2  # one passage per person, no recheck round


def test_the_guard_chooses_handheld_and_back_to_automatic(
    lanes: Callable[..., RealLane], thermo: Callable[[str], ThermometerSimulator]
) -> None:
    sim = thermo("lu90614")
    lane = lanes(f"serial://{sim.link}?protocol=lu90614")
    lane.status(thermometer_is("ok", "thermometer"))
    assert console_command(lane.agent, "handheld on") == "screening: handheld"
    mark = lane.mark()
    lane.status(thermometer_is("ok", "handheld"))
    before = len(lane.uplink.passages)
    assert console_command(lane.agent, "temp 37.5") == "handheld reading 37.5 C"
    lane.scan()
    assert lane.next_passage(before).temperature.sensor == HANDHELD_SENSOR  # type: ignore[union-attr]
    console_command(lane.agent, "handheld auto")
    lane.status(thermometer_is("ok", "thermometer"), since=mark)
    assert "between 30 and 45 C" in console_command(lane.agent, "temp 99")


def test_a_scan_held_for_a_reading_that_never_comes_goes_out_without_one() -> None:
    handheld = Handheld(wait_s=10.0)
    handheld.thermometer_usable = False
    assert handheld.scan("CG1.a", 0.0) == []
    assert handheld.next_deadline() == 10.0
    (late,) = handheld.tick(10.0)
    assert (late.credentials[0].data, late.reading, late.outcome) == ("CG1.a", None, "no_reading")
    # A reading typed with no scan is forgotten after the same wait, not given to a stranger.
    handheld.typed(Decimal("36.6"), SystemClock().now(), 20.0)
    assert handheld.waiting_readings == 1
    assert handheld.tick(30.0) == []
    assert handheld.waiting_readings == 0
    assert handheld.scan("CG1.b", 31.0) == []  # held: the old reading did not pair with it
    assert [p.reading for p in handheld.flush()] == [None]


def test_leaving_handheld_mode_sends_the_held_scans_without_temperature() -> None:
    handheld = Handheld()
    handheld.choice = "handheld"
    handheld.scan("CG1.a", 0.0)
    handheld.scan("CG1.b", 1.0)
    assert [p.credentials[0].data for p in handheld.flush()] == ["CG1.a", "CG1.b"]
    assert handheld.waiting_scans == 0


@given(st.text(max_size=24))
def test_a_typed_reading_is_a_plausible_number_or_refused(text: str) -> None:
    try:
        celsius = handheld_celsius(text)
    except ValueError:
        return
    assert HANDHELD_MIN_C <= celsius <= HANDHELD_MAX_C
    assert celsius == celsius.quantize(Decimal("0.01"))


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-0", "1e400", "36.666", "", "三十六"])
def test_hostile_typed_readings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"temperature|handheld reading"):
        handheld_celsius(text)
