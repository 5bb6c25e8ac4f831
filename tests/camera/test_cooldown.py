"""The cooldown that makes one scan of a code held in front of a reader."""

from __future__ import annotations

import pytest

from devices.code_reader.contract import SCAN_COOLDOWN_S, Cooldown, ReaderCore, Scan
from tests.fixtures.waiting import FakeClock


def test_default_window_is_three_seconds() -> None:
    assert SCAN_COOLDOWN_S == 3.0
    assert Cooldown().window == 3.0


def test_repeats_within_the_window_are_one_scan(clock: FakeClock) -> None:
    cooldown = Cooldown(3.0, clock)
    assert cooldown.admit("A")
    clock.advance(2.999)
    assert not cooldown.admit("A")
    assert cooldown.admit("B")  # another code is another scan


def test_every_sighting_restarts_the_window(clock: FakeClock) -> None:
    cooldown = Cooldown(3.0, clock)
    assert cooldown.admit("A")
    for _ in range(10):  # held in view for 20 s, seen every 2 s
        clock.advance(2.0)
        assert not cooldown.admit("A")
    clock.advance(3.0)  # taken away for the whole window
    assert cooldown.admit("A")


def test_old_codes_are_forgotten(clock: FakeClock) -> None:
    cooldown = Cooldown(1.0, clock)
    for index in range(500):
        cooldown.admit(f"code-{index}")
        clock.advance(0.1)
    assert len(cooldown._last_seen) <= 80


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        Cooldown(-1)


def test_queue_keeps_the_newest_scans_when_nobody_reads(clock: FakeClock) -> None:
    core = ReaderCore("test", on_scan=None, cooldown=0.0, clock=clock)
    for index in range(core.scans.maxsize + 5):
        assert core.emit(f"code-{index}", "qr")
    assert core.stats()["scans_dropped"] == 5
    first = core.scans.get_nowait()
    assert first == Scan(text="code-5", symbology="qr", reader="test", at=clock.now)
