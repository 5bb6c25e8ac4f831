"""Serial and keyboard-wedge scanners over real ports: ``loop://``, a pty, pipes."""

from __future__ import annotations

import io
import os
import threading
import tty
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.code_reader.scanner.reader import SerialScanner, SimulatedScanner, StreamScanner
from tests.fixtures.waiting import WAIT_S, FakeClock, wait_until

FAST = (0.01, 0.05)


class Pty:
    """A pseudo-terminal: the scanner opens ``path``, the test writes to ``master``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.open = True

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        if self.open:
            os.close(self.master)
            os.close(self.slave)
            self.open = False


@pytest.fixture
def pty() -> Iterator[Pty]:
    port = Pty()
    yield port
    port.unplug()


def test_serial_scanner_reads_lines_from_a_pty(pty: Pty, clock: FakeClock) -> None:
    scanner = SerialScanner(pty.path, clock=clock, backoff=FAST)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.health()[0] == "ok")  # opening flushes input
        pty.write(b"CG1.abc.def\r\nCG1.abc.def\r\nS2021001234\r\n")
        first = scanner.scans.get(timeout=WAIT_S)
        second = scanner.scans.get(timeout=WAIT_S)
        assert (first.text, second.text) == ("CG1.abc.def", "S2021001234")
        assert first.symbology == "unknown"
        assert scanner.stats()["duplicates"] == 1
    finally:
        scanner.close()


def test_serial_scanner_on_loop_url_reads_what_is_written() -> None:
    scanner = SerialScanner("loop://", backoff=FAST)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.health()[0] == "ok")
        assert scanner.port is not None
        scanner.port.write(b"LOOP-1\r\n")
        assert scanner.scans.get(timeout=WAIT_S).text == "LOOP-1"
    finally:
        scanner.close()


def test_garbage_degrades_health_until_the_next_good_line(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, backoff=FAST)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.health()[0] == "ok")
        pty.write(b"\x00\x01\x02garbage\r\n" + b"z" * 3000 + b"\r\n")
        assert wait_until(lambda: scanner.stats().get("rejected_too_long", 0) == 1)
        assert scanner.stats()["rejected_non_printable"] == 1
        assert scanner.health() == ("degraded", "rejected a line: too_long")
        assert scanner.scans.empty()
        pty.write(b"GOOD\r\n")
        assert scanner.scans.get(timeout=WAIT_S).text == "GOOD"
        assert scanner.health()[0] == "ok"
    finally:
        scanner.close()


def test_unplugged_serial_scanner_is_a_fault_not_a_crash(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, backoff=FAST)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.health()[0] == "ok")
        pty.unplug()
        assert wait_until(lambda: scanner.stats().get("read_failures", 0) >= 1)
        assert wait_until(lambda: scanner.stats().get("open_failures", 0) >= 2)
        assert scanner.health()[0] == "fault"
    finally:
        scanner.close()


def test_serial_scanner_reconnects_when_the_port_comes_back() -> None:
    scanner = SerialScanner("socket://127.0.0.1:9", backoff=FAST)  # nothing listens
    scanner.start()
    try:
        assert wait_until(lambda: scanner.stats().get("open_failures", 0) >= 2)
        assert scanner.health()[0] == "fault"
        scanner.url = "loop://"  # the device is back (under the same setting, in real life)
        assert wait_until(lambda: scanner.health()[0] == "ok")
    finally:
        scanner.close()


def test_stream_scanner_reads_a_binary_stream_to_its_end() -> None:
    data = b"ONE\r\n\xff\r\nTWO\nONE\r\nTHREE"
    scanner = StreamScanner(io.BytesIO(data), cooldown=0)
    scanner.start()
    try:
        assert scanner.wait_ended(WAIT_S)
        texts = [scanner.scans.get_nowait().text for _ in range(scanner.scans.qsize())]
        assert texts == ["ONE", "TWO", "ONE"]
        assert scanner.stats()["rejected_not_utf8"] == 1
        assert scanner.stats()["rejected_unterminated"] == 1  # may be a cut-off code
        assert scanner.health() == ("fault", "stream BytesIO ended")
    finally:
        scanner.close()


def test_stream_scanner_reads_text_streams() -> None:
    scanner = StreamScanner(io.StringIO("北门\nA\ud800B\n"))
    scanner.start()
    try:
        assert scanner.wait_ended(WAIT_S)
        assert scanner.scans.get_nowait().text == "北门"
        assert scanner.scans.empty()  # a lone surrogate is not UTF-8
        assert scanner.stats()["rejected_not_utf8"] == 1
    finally:
        scanner.close()


def test_keyboard_wedge_on_a_pipe_closes_promptly_while_waiting() -> None:
    scanner = SimulatedScanner()
    scanner.start()
    scanner.present("WEDGE-1")
    assert scanner.scans.get(timeout=WAIT_S).text == "WEDGE-1"
    scanner.close()  # the reader sits in select(): close must not hang
    assert "scanner-sim-read" not in {t.name for t in threading.enumerate()}


def test_simulated_scanner_unplugged_ends_its_input() -> None:
    scanner = SimulatedScanner()
    scanner.start()
    try:
        scanner.send(b"HALF")
        scanner.unplug()
        assert scanner.wait_ended(WAIT_S)
        assert scanner.stats()["rejected_unterminated"] == 1
        assert scanner.health() == ("fault", "simulated scanner ended")
    finally:
        scanner.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash_a_scanner_nor_make_a_non_printable_scan(data: bytes) -> None:
    scanner = StreamScanner(io.BytesIO(data), cooldown=0)
    scanner.start()
    try:
        assert scanner.wait_ended(WAIT_S)
        while not scanner.scans.empty():
            text = scanner.scans.get_nowait().text
            assert text.isprintable()
            assert text.strip()
    finally:
        scanner.close()
