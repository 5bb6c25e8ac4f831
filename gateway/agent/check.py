"""``campusgate gate --check``: the installer's tool.  Open every device, read, say what came.

Each device URL of the settings is opened with the lane's own drivers and read for
``seconds``: the thermometer's frames (readings by kind, faults by reason, the last
values, a missing ``offset=``), the code readers' decoded codes, and the relay's
answer to the "locked" frame (the port took it, or not).  Nothing is published and
no outbox or snapshot is touched.  The report is plain text for a person at the
lane; :func:`check_devices` returns the number of problems found, and the command
exits non-zero when there is one.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from devices.code_reader import Scan, open_code_reader
from devices.relay import open_relay
from devices.serial_url import is_none, parse_serial_url
from devices.thermometer import Event, Fault, open_thermometer
from devices.thermometer.registry import TRIGGERED
from gateway.agent.settings import GateSettings
from kernel.clock import SystemClock
from kernel.errors import CampusgateError

CHECK_SECONDS = 3.0
"""How long each device is read when ``--check-seconds`` is not given."""
MAX_CODES_SHOWN = 5
MAX_CODE_CHARS = 48


@dataclass(slots=True)
class Report:
    """What one check saw; ``problems`` makes the exit status."""

    out: TextIO
    problems: list[str] = field(default_factory=list)

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.line(f"  PROBLEM: {text}")


def check_devices(settings: GateSettings, *, out: TextIO, seconds: float = CHECK_SECONDS) -> int:
    """Check every configured device for ``seconds`` each; returns how many problems."""
    report = Report(out)
    report.line(f"checking gate {settings.site}/{settings.gate} ({seconds:g} s per device)")
    _thermometer(settings, report, seconds)
    for name, url in (("camera", settings.camera), ("scanner", settings.scanner)):
        _reader(settings, name, url, report, seconds)
    _relay(settings.relay, report)
    verdict = "no problem found" if not report.problems else f"{len(report.problems)} problem(s)"
    report.line(f"check: {verdict}")
    return len(report.problems)


def _thermometer(settings: GateSettings, report: Report, seconds: float) -> None:
    url = settings.thermometer
    if is_none(url):
        report.line("thermometer: none (guards measure by hand)")
        return
    events: list[Event] = []
    lock = threading.Lock()

    def keep(event: Event) -> None:
        with lock:
            events.append(event)

    try:
        thermometer = open_thermometer(
            url, clock=SystemClock(), on_event=keep, default_sensor=f"{settings.gate}/thermometer"
        )
    except CampusgateError as exc:
        report.line(f"thermometer {url}")
        report.problem(str(exc))
        return
    assert thermometer is not None  # not "none": checked above
    report.line(f"thermometer {url}")
    thermometer.start()
    try:
        threading.Event().wait(seconds)  # the read window itself, not a test's sleep
        state, detail = thermometer.health()
    finally:
        thermometer.close()
    with lock:
        seen = list(events)
    _thermometer_report(
        report, seen, (state, detail), url=url, unconfigured=thermometer.unconfigured
    )


def _thermometer_report(
    report: Report,
    events: list[Event],
    health: tuple[str, str],
    *,
    url: str,
    unconfigured: str | None,
) -> None:
    state, detail = health
    faults = Counter(e.reason for e in events if isinstance(e, Fault))
    readings = [e for e in events if not isinstance(e, Fault)]
    kinds = Counter(r.kind for r in readings)
    last = {r.kind: r.celsius for r in readings}
    report.line(f"  port: {state}{': ' + detail if detail else ''}")
    report.line(
        f"  frames: {len(readings)} reading(s)"
        f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items())) or 'none'}),"
        f" {sum(faults.values())} fault(s)"
        f" ({', '.join(f'{k} {n}' for k, n in sorted(faults.items())) or 'none'})"
    )
    if last:
        report.line("  last: " + ", ".join(f"{k} {c} C" for k, c in sorted(last.items())))
    if state == "fault":
        report.problem(f"thermometer: {detail}")
    elif not readings and faults:
        report.problem("thermometer: only faults, no reading: is protocol= (or baud=) right?")
    elif faults.total() > len(readings):
        report.problem("thermometer: more faults than readings: a bad cable or the wrong baud=?")
    elif not readings:
        if parse_serial_url(url).option("protocol") in TRIGGERED:
            report.line("  nothing received: this module sends only when someone is measured")
        else:
            report.problem("thermometer: nothing received: is it the right port?")
    surface_only = bool(readings) and all(r.kind != "body" for r in readings) and kinds["surface"]
    if unconfigured:
        report.problem(f"thermometer {unconfigured}")
    elif surface_only and "offset=" not in url:
        report.problem(
            "thermometer unconfigured: only skin (surface) readings came; set offset= in the URL"
        )


def _reader(settings: GateSettings, name: str, url: str, report: Report, seconds: float) -> None:
    if is_none(url):
        report.line(f"{name}: none")
        return
    if url.strip().lower() == "stdin":
        report.line(f"{name}: stdin (a keyboard-wedge scanner is not checked here)")
        return
    codes: list[str] = []
    lock = threading.Lock()

    def keep(scan: Scan) -> None:
        with lock:
            codes.append(scan.text)

    report.line(f"{name} {url}")
    try:
        reader = open_code_reader(
            url,
            name=name,
            backend="camera" if name == "camera" else "scanner",
            on_scan=keep,
            decoder=settings.decoder,
            fps=settings.camera_fps,
        )
    except CampusgateError as exc:
        report.problem(f"{name}: {exc}")
        return
    assert reader is not None
    reader.start()
    try:
        threading.Event().wait(seconds)
        state, detail = reader.health()
        stats = reader.stats()
    finally:
        reader.close()
    report.line(f"  {state}{': ' + detail if detail else ''}; counts {dict(sorted(stats.items()))}")
    with lock:
        seen = list(codes)
    report.line(f"  decoded: {len(seen)} code(s)")
    for text in seen[:MAX_CODES_SHOWN]:
        report.line(f"    {_shorten(text)}")
    if state == "fault":
        report.problem(f"{name}: {detail}")


def _relay(url: str, report: Report) -> None:
    if is_none(url):
        report.line("relay: none (the guard opens the gate by hand)")
        return
    report.line(f"relay {url}")
    try:
        turnstile = open_relay(url)
    except CampusgateError as exc:
        report.problem(f"relay: {exc}")
        return
    answered: Callable[[], bool] = turnstile.close  # the safe frame: the turnstile stays locked
    turnstile.start()
    try:
        took = answered()
        state, detail = turnstile.health()
    finally:
        turnstile.shutdown()
    if took and state == "ok":
        report.line("  answer: the board took the 'locked' frame")
    else:
        report.problem(f"relay: the 'locked' frame was not taken: {detail or state}")


def _shorten(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(printable) <= MAX_CODE_CHARS:
        return printable
    return printable[: MAX_CODE_CHARS - 3] + "..."
