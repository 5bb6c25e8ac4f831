"""Web benchmark: passage -> shown on the kiosk page, and a dashboard under load.

In one run, against a private Mosquitto started from the project's config, with
``campusgate central`` (SQLite) and ``campusgate web`` as processes of their own,
as in production, and Debian's Chromium driven by Playwright:

  1. the floor: QoS 1 request/echo round trip through the broker (bench/floor.py);
  2. kiosk: sequential passages at gate north-1, each timed from its publish to
     (a) the Decision reaching a gate client and (b) the kiosk page putting it on
     screen (the page notes the time it rendered each event: ``window.cgShown``);
  3. dashboard: 50 gates at 20 passages/s each (1,000/s) for ``--seconds``; the
     office dashboard stays open; sampled every second: the server's live queue
     for the browser (backlog) and slow-browser resets, the browser's lag behind
     ``decided_at``, and its JS heap (after a forced GC) at the start and the end.

    .venv/bin/python -m bench.web_latency [--kiosk 300] [--gates 50] [--rate 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from bench.central_process import CentralProcess
from bench.floor import echo_floor
from bench.stats import percentile
from bench.workload import SITE
from kernel.codes import issue_code, new_key
from kernel.redact import redact_url
from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker, free_port
from services.demo.people import roster_csv, synthetic_people
from services.identity import DEMO_KEY, IdHasher
from services.roster import import_roster
from services.storage.engine import make_engine, upgrade
from services.web.auth.roles import Role
from services.web.auth.service import create_user
from tests.fixtures.gate_client import DecisionClient

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--enable-precise-memory-info",
]
PASSWORD = "bench-password-1"  # noqa: S105 (a throw-away database)
PEOPLE = 300
KIOSK_GATE = "north-1"
STARTUP_TIMEOUT_S = 30.0
WARMUP = 20
TICK_S = 0.01


def prepare(workdir: Path, gates: list[str]) -> tuple[str, Path, list[str]]:
    """A SQLite campus: roster, signing key, users; returns (db url, keys dir, codes)."""
    db_url = f"sqlite:///{workdir / 'bench-web.db'}"
    upgrade(db_url)
    people = synthetic_people(PEOPLE)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            import_roster(
                roster_csv(people).splitlines(), session=session, hasher=IdHasher(DEMO_KEY)
            )
            create_user(
                session=session,
                username="guard",
                password=PASSWORD,
                role=Role.GUARD,
                gates=frozenset({KIOSK_GATE}),
                lang="en",
                now=now,
            )
            create_user(
                session=session,
                username="officer",
                password=PASSWORD,
                role=Role.SECURITY,
                lang="en",
                now=now,
            )
    finally:
        engine.dispose()
    keys = workdir / "keys"
    key = new_key(keys)
    codes = [
        issue_code(key, subject=p.person_id, typ="id", ttl=timedelta(hours=2), now=now, site=SITE)
        for p in people
    ]
    return db_url, keys, codes


class WebProcess:
    """``campusgate web`` as its own process."""

    def __init__(self, broker_url: str, db_url: str, gates: list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable,
            "-m",
            "services.cli.main",
            "web",
            "--broker",
            broker_url,
            "--db",
            db_url,
            "--site",
            SITE,
            "--port",
            str(self.port),
            "--no-upgrade",
        ]
        gate_list = json.dumps(gates)
        self.env = {
            **os.environ,
            "CAMPUSGATE_WEB__DEMO": "true",
            "CAMPUSGATE_WEB__GATES": gate_list,
            "PYTHONPATH": str(ROOT),
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the web service did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # by PID: SIGTERM, uvicorn shuts down gracefully
            self.process.wait(30)
            self.process = None


def passage(code: str, gate: str, celsius: str = "36.5") -> Passage:
    now = datetime.now(UTC)
    return Passage(
        event_id=uuid7(),
        site=SITE,
        gate=gate,
        direction="in",
        ts=now,
        credentials=[Credential(kind="qr", data=code)],
        temperature=Temperature(celsius=Decimal(celsius), sensor="ir-0", measured_at=now),
        mask=True,
    )


def sign_in(browser: Any, web: WebProcess, user: str, path: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{web.url}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-live=connected]", timeout=15_000)
    return page


def kiosk_latency(
    browser: Any, web: WebProcess, broker_url: str, codes: list[str], count: int
) -> tuple[list[float], list[float]]:
    """Publish -> decision at the gate, and publish -> rendered on the kiosk (ms)."""
    page = sign_in(browser, web, "guard", f"/kiosk/{KIOSK_GATE}", (1080, 1920))
    gate = DecisionClient(broker_url, site=SITE, gate=KIOSK_GATE).connect()
    to_gate: list[float] = []
    to_screen: list[float] = []
    try:
        for index in range(WARMUP + count):
            p = passage(codes[index % len(codes)], KIOSK_GATE)
            gate.expect(p.event_id)
            published = time.time() * 1000
            gate.send(p)
            decision = gate.wait(p.event_id, 10)
            decided = time.time() * 1000
            if decision is None:
                raise RuntimeError(f"no decision for {p.event_id}")
            event = str(p.event_id)
            page.wait_for_function(
                "(id) => window.cgShown.has(id)", arg=event, polling="raf", timeout=10_000
            )
            shown = page.evaluate("(id) => window.cgShown.get(id)", event)
            if index >= WARMUP:
                to_gate.append(decided - published)
                to_screen.append(shown - published)
    finally:
        gate.close()
        page.context.close()
    return to_gate, to_screen


def heap_mib(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics["JSHeapUsedSize"]) / 2**20


def dashboard_load(
    browser: Any,
    web: WebProcess,
    broker_url: str,
    *,
    codes: list[str],
    gates: list[str],
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    page = sign_in(browser, web, "officer", "/dashboard", (1920, 1080))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    heap_start = heap_mib(cdp)
    office = httpx.Client(base_url=web.url, timeout=5)
    login = office.post("/api/v1/session", json={"username": "officer", "password": PASSWORD})
    login.raise_for_status()
    # Every passage is pre-built: the publisher's own cost stays out of the figures.
    total = int(len(gates) * rate * seconds)
    cycle = itertools.cycle(codes)
    bodies = [
        (
            gate_topic(SITE, gates[i % len(gates)], GateChannel.PASSAGE),
            passage(next(cycle), gates[i % len(gates)]).model_dump_json().encode(),
        )
        for i in range(total)
    ]
    decided: queue.SimpleQueue[float] = queue.SimpleQueue()
    watcher = DecisionClient(
        broker_url, site=SITE, on_decision=lambda _d: decided.put(0.0)
    ).connect()
    publisher = DecisionClient(broker_url, site=SITE, gate="none").connect()
    samples: list[dict[str, Any]] = []
    stop = threading.Event()

    def publish() -> None:
        per_tick = len(gates) * rate * TICK_S
        start = time.perf_counter()
        sent = 0.0
        for tick in itertools.count():
            due = min(total, int((tick + 1) * per_tick))
            while sent < due:
                topic, body = bodies[int(sent)]
                publisher.bus.publish(topic, body, qos=1)
                sent += 1
            if sent >= total:
                return
            delay = start + (tick + 1) * TICK_S - time.perf_counter()
            if delay > 0:
                time.sleep(delay)

    thread = threading.Thread(target=publish, daemon=True)
    started = time.perf_counter()
    thread.start()
    try:
        while thread.is_alive() or time.perf_counter() - started < seconds + 5:
            time.sleep(1.0)
            stats = office.get("/api/v1/live/stats").json()
            browser_stats = page.evaluate(
                "({events: cgStats.events, lags: cgStats.lags.slice(-400).map(x => x[1])})"
            )
            samples.append(
                {
                    "t": time.perf_counter() - started,
                    "queued": stats["max_queued"],
                    "overflows": stats["overflows"],
                    "events": browser_stats["events"],
                    "lags": browser_stats["lags"],
                }
            )
            if not thread.is_alive() and decided.qsize() >= total and samples[-1]["queued"] == 0:
                break
    finally:
        stop.set()
        thread.join()
        publisher.close()
        watcher.close()
    heap_end = heap_mib(cdp)
    shown = page.evaluate("cgStats.events")
    office.close()
    page.context.close()
    return {
        "total": total,
        "decided": decided.qsize(),
        "shown": shown,
        "samples": samples,
        "heap": (heap_start, heap_end),
    }


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50):7.2f} ms   p99 {percentile(values, 99):7.2f} ms"


def window_lags(samples: list[dict[str, Any]], first: bool, seconds: int = 5) -> list[float]:
    chosen = samples[:seconds] if first else [s for s in samples if s["lags"]][-seconds:]
    return [lag for s in chosen for lag in s["lags"]] or [0.0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kiosk", type=int, default=300, help="sequential passages for the kiosk")
    parser.add_argument("--floor", type=int, default=2000, help="echo round trips for the floor")
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="passages per second per gate")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: run `make setup`")
    from playwright.sync_api import sync_playwright

    gates = [KIOSK_GATE] + [f"gate-{n:02d}" for n in range(1, args.gates)]
    with tempfile.TemporaryDirectory(prefix="cg-bench-web-") as tmp, LocalBroker() as broker:
        workdir = Path(tmp)
        db_url, keys, codes = prepare(workdir, gates)
        shown = redact_url(broker.url)
        print(f"web benchmark: private mosquitto {shown}, central + web as processes, SQLite")
        floor = echo_floor(broker.url, args.floor)
        central = CentralProcess(broker.url, db_url, keys, workdir / "central.log", site=SITE)
        central.start()
        web = WebProcess(broker.url, db_url, gates, workdir / "web.log")
        web.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    to_gate, to_screen = kiosk_latency(browser, web, broker.url, codes, args.kiosk)
                    load = dashboard_load(
                        browser,
                        web,
                        broker.url,
                        codes=codes,
                        gates=gates,
                        rate=args.rate,
                        seconds=args.seconds,
                    )
                finally:
                    browser.close()
        finally:
            web.stop()
            central.stop()
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    print(f"\n1. floor: QoS 1 request/echo round trip ({args.floor}):  {ms(floor)}")
    print(f"2. kiosk, {args.kiosk} sequential passages at {KIOSK_GATE} (after {WARMUP} warm-up):")
    print(
        f"   publish -> decision at the gate:   {ms(to_gate)}   "
        f"({percentile(to_gate, 50) / f50:.1f}x / {percentile(to_gate, 99) / f99:.1f}x floor)"
    )
    print(
        f"   publish -> shown on the kiosk:     {ms(to_screen)}   "
        f"({percentile(to_screen, 50) / f50:.1f}x / {percentile(to_screen, 99) / f99:.1f}x floor)"
    )
    extra = [s - g for s, g in zip(to_screen, to_gate, strict=True)]
    print(f"   of which web + SSE + browser:      {ms(extra)}")
    samples = load["samples"]
    rate = args.gates * args.rate
    print(
        f"3. dashboard, {args.gates} gates x {args.rate:g}/s = {rate:g} passages/s "
        f"for {args.seconds:g} s:"
    )
    print(
        f"   published {load['total']}, decided {load['decided']}, "
        f"shown on the dashboard {load['shown']}"
    )
    queued = [s["queued"] for s in samples]
    print(
        f"   server backlog for the browser (events queued): first 5 s max {max(queued[:5])}, "
        f"last 5 s max {max(queued[-5:])}, overall max {max(queued)}; "
        f"slow-browser resets {samples[-1]['overflows']}"
    )
    print(
        f"   browser lag behind decided_at: first 5 s {ms(window_lags(samples, True))}; "
        f"last 5 s {ms(window_lags(samples, False))}"
    )
    heap_start, heap_end = load["heap"]
    print(f"   browser JS heap used (after GC): start {heap_start:.1f} MiB, end {heap_end:.1f} MiB")


if __name__ == "__main__":
    main()
