"""Wiring for ``campusgate gate``: settings -> devices, uplink, agent; run until a signal.

Also the guard's console (``--console``): one command per line on stdin, and a
line per decision (and per device change) on stdout, big enough to read at the lane,
in the console's language (:mod:`gateway.agent.console`).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

from devices.code_reader import CodeReader, open_code_reader
from devices.relay import open_relay
from devices.thermometer import open_thermometer
from gateway.agent.agent import GateAgent
from gateway.agent.console import Console
from gateway.agent.events import Inbox
from gateway.agent.observe import gate_registry, readiness_checks
from gateway.agent.settings import GateSettings
from gateway.agent.uplink import MqttUplink
from gateway.kiosk.feed import KioskFeed
from gateway.outbox import Outbox, OutboxUplink
from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from kernel.bus.mqtt import parse_broker_url
from kernel.clock import SystemClock
from kernel.codes.keys import KeyRing
from kernel.observe import ObserveServer
from schemas.messages import Decision, Passage
from schemas.snapshot import GateSnapshot, SnapshotGuard
from ui.i18n import Lang

if TYPE_CHECKING:
    from gateway.kiosk.server import KioskServer

log = logging.getLogger(__name__)


def build_agent(
    settings: GateSettings,
    *,
    out: TextIO = sys.stdout,
    feed: KioskFeed | None = None,
    console: Console | None = None,
) -> GateAgent:
    # Long because it wires every part of the lane from its setting, one after another.
    clock = SystemClock()
    inbox = Inbox()
    words = console or Console(out=out)
    thermometer = open_thermometer(
        settings.thermometer,
        clock=clock,
        on_event=inbox.thermometer_sink,
        default_sensor=f"{settings.gate}/thermometer",
    )
    readers = _open_readers(settings, inbox)
    # Everything is validated before the outbox file is created.
    turnstile = open_relay(settings.relay)
    plain_id_hash = settings.plain_id_hash()
    lane = settings.lane_config(thermometer.surface_offset if thermometer is not None else None)
    address = parse_broker_url(settings.mqtt.url)
    outbox = Outbox(
        settings.outbox_path,
        max_bytes=None if settings.outbox_max_mb is None else int(settings.outbox_max_mb * 2**20),
    )
    uplink = OutboxUplink(
        MqttUplink(
            address,
            site=settings.site,
            gate=settings.gate,
            inbox=inbox,
            now=clock.now(),
        ),
        outbox,
        forward_rate=settings.forward_rate,
    )
    snapshots = SnapshotStore(
        settings.snapshot_path,
        site=settings.site,
        gate=settings.gate,
        trusted=KeyRing.load(settings.site_keys_dir) if settings.site_keys_dir else KeyRing({}),
        clock=clock,
    )
    agent = GateAgent(
        lane,
        inbox=inbox,
        uplink=uplink,
        turnstile=turnstile,
        thermometer=thermometer,
        readers=readers,
        clock=clock,
        snapshots=snapshots,
        on_decision=lambda decision, passage: _decided(decision, passage, out, feed, words),
    )
    if feed is not None:
        feed_statuses(agent, feed, clock)
    agent.on_status.append(words.watch)  # a device's fault or recovery, as a console line
    # The central side saw a gap in this gate's numbering: send what is waiting now.
    agent.on_sync.append(uplink.resend_unanswered)
    agent.fallback = LocalDecider(
        snapshots,
        clock=clock,
        locked=lambda: agent.locked,
        last_contact=lambda: agent.last_contact,
        max_offline_age=timedelta(hours=settings.max_offline_age_h),
        hash_plain_id=plain_id_hash,
    )
    return agent


def feed_statuses(agent: GateAgent, feed: KioskFeed, clock: SystemClock) -> None:
    """Every status the lane makes also goes to the local kiosk's pages."""
    agent.on_status.append(lambda status: feed.status(status, clock.now()))


def _decided(
    decision: Decision,
    passage: Passage | None,
    out: TextIO,
    feed: KioskFeed | None,
    console: Console,
) -> None:
    print(console.decision_line(decision), file=out, flush=True)
    if feed is not None:
        feed.decision(decision, passage)


def start_kiosk(settings: GateSettings, agent: GateAgent, feed: KioskFeed) -> KioskServer:
    """The gate's own kiosk on ``settings.kiosk``; its guards are the snapshot's."""
    # Only a gate with --kiosk pays for the web parts (jinja2, argon2).
    from gateway.kiosk.actions import Actions  # noqa: PLC0415
    from gateway.kiosk.guards import GuardBook  # noqa: PLC0415
    from gateway.kiosk.lookup import LookupDesk  # noqa: PLC0415
    from gateway.kiosk.server import KioskServer  # noqa: PLC0415

    snapshots = agent.snapshots

    def snapshot() -> GateSnapshot | None:
        held = snapshots.current if snapshots is not None else None
        return held.snapshot if held is not None else None

    def guards() -> list[SnapshotGuard]:
        held = snapshot()
        return list(held.guards) if held is not None else []

    desk = LookupDesk(
        gate=settings.gate,
        snapshot=snapshot,
        lane=agent,
        monotonic=agent.monotonic,
        hash_plain_id=settings.plain_id_hash(),
    )

    assert settings.kiosk is not None
    server = KioskServer(
        settings.kiosk,
        gate=settings.gate,
        feed=feed,
        book=GuardBook(guards, agent.monotonic),
        actions=Actions(agent, desk),
    )
    server.start()
    return server


def _open_readers(settings: GateSettings, inbox: Inbox) -> tuple[CodeReader, ...]:
    """The lane's camera and scanner, each from its own setting (either may be ``none``)."""
    camera = open_code_reader(
        settings.camera,
        name="camera",
        backend="camera",
        on_scan=inbox.scan_sink,
        cooldown=settings.scan_cooldown_s,
        decoder=settings.decoder,
        fps=settings.camera_fps,
        loop=settings.camera_loop,
    )
    scanner = open_code_reader(
        settings.scanner,
        name="scanner",
        backend="scanner",
        on_scan=inbox.scan_sink,
        cooldown=settings.scan_cooldown_s,
    )
    return tuple(reader for reader in (camera, scanner) if reader is not None)


def decision_line(decision: Decision, lang: Lang | None = None) -> str:
    """One line per person for the guard (:meth:`Console.decision_line`)."""
    return Console(lang).decision_line(decision)


def console_command(agent: GateAgent, line: str, lang: Lang | None = None) -> str:
    """Carry out one console line; returns what to tell the guard (:meth:`Console.command`)."""
    return Console(lang).command(agent, line)


def _console(agent: GateAgent, stop: threading.Event, console: Console) -> None:
    for line in sys.stdin:
        if stop.is_set():
            return
        reply = console.command(agent, line)
        if reply:
            print(reply, flush=True)


def run_until_signalled(
    settings: GateSettings,
    *,
    console: bool = False,
    http: str | None = None,
    lang: Lang | None = None,
) -> int:
    feed = KioskFeed() if settings.kiosk else None
    words = Console(lang, out=sys.stdout)
    agent = build_agent(settings, feed=feed, console=words)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("gate %s: signal %d, stopping", settings.gate, signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.open_devices()
    kiosk = start_kiosk(settings, agent, feed) if feed is not None else None
    server = None
    if http:
        server = ObserveServer(http, gate_registry(agent), readiness_checks(agent)).start()
    if console:
        threading.Thread(target=_console, args=(agent, stop, words), daemon=True).start()
        print(words.help, flush=True)
    log.info("gate %s/%s running", settings.site, settings.gate)
    try:
        agent.run(stop)
    finally:
        if kiosk is not None:
            kiosk.stop()
        if server is not None:
            server.stop()
        agent.close_devices()
    log.info("gate %s stopped: %s", settings.gate, agent.stats)
    return 0
