"""Memory of the central decision worker with 100,000 persons in the roster.

One ``campusgate central`` process on SQLite against a private Mosquitto:
floor = its resident memory once started (every library imported, the MQTT
client connected, the engine open, no passage yet); figure = its peak resident
memory (VmHWM) after deciding ``--passages`` passages of people drawn from the
whole roster, with appointments, passes and household exits in the mix, and
after the sealer has chained them.  Target (DESIGN section 7): <= 160 MB.

    .venv/bin/python -m bench.rss [--persons 100000] [--passages 20000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bench.central_process import CentralProcess
from bench.workload import SITE, make_passage
from kernel.codes import issue_code, new_key
from schemas.messages import Decision
from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import make_engine, upgrade
from services.storage.models import PersonRow
from tests.fixtures.gate_client import DecisionClient

TARGET_MB = 160


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--passages", type=int, default=20_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="campusgate-rss-"))
    url = f"sqlite:///{work}/central.db"
    upgrade(url)
    now = datetime.now(UTC)
    engine = make_engine(url)
    rows = [
        {
            "person_id": f"R{n:06d}",
            "name": f"Person {n}",
            "kind": "family" if n % 10 > 7 else "student",
            "id_hash": f"{n:064x}",
            "id_last4": f"{n % 10000:04d}",
            "unit": "CS",
            "household": f"H{n // 3:06d}" if n % 10 > 7 else None,
            "gates": "*",
            "active": True,
            "return_approved": True,
            "updated_at": now,
        }
        for n in range(args.persons)
    ]
    with engine.begin() as connection:
        connection.execute(insert(PersonRow), rows)
    engine.dispose()
    key = new_key(work / "keys")
    rng = random.Random(5)
    with LocalBroker() as broker:
        central = CentralProcess(broker.url, url, work / "keys", work / "central.log", site=SITE)
        central.start()
        assert central.process is not None
        pid = central.process.pid
        time.sleep(2)
        idle_rss, _ = rss_kib(pid)
        done = threading.Event()
        answered = 0
        lock = threading.Lock()

        def on_decision(_decision: Decision) -> None:
            nonlocal answered
            with lock:
                answered += 1
                if answered >= args.passages:
                    done.set()

        client = DecisionClient(broker.url, site=SITE, on_decision=on_decision).connect()
        try:
            for index in range(args.passages):
                person = f"R{rng.randrange(args.persons):06d}"
                code = issue_code(
                    key, subject=person, typ="id", ttl=timedelta(hours=1), now=now, site=SITE
                )
                passage = make_passage("north-1", code, "36.60")
                if index % 7 == 0:
                    passage = passage.model_copy(update={"direction": "out"})
                client.bus.publish(
                    f"campusgate/v1/{SITE}/gate/north-1/passage",
                    passage.model_dump_json().encode(),
                    qos=1,
                )
            if not done.wait(600):
                raise RuntimeError(f"only {answered}/{args.passages} decisions")
            time.sleep(3)  # let the sealer chain the burst
            rss, peak = rss_kib(pid)
        finally:
            client.close()
            central.stop()
    engine = make_engine(url)
    with Session(engine) as session:
        from sqlalchemy import func, select

        from services.storage.models import EntryChainRow

        chained = session.scalar(select(func.count()).select_from(EntryChainRow))
    engine.dispose()
    print(
        f"central worker with {args.persons:,} persons, {args.passages:,} passages "
        f"({chained:,} chained)"
    )
    print()
    print("| floor (started, idle) | after the burst (RSS) | peak (VmHWM) | target |")
    print("|---|---|---|---|")
    print(
        f"| {idle_rss / 1024:.0f} MiB | {rss / 1024:.0f} MiB | {peak / 1024:.0f} MiB | "
        f"<= {TARGET_MB} MB: {'met' if peak / 1024 * 1.048576 <= TARGET_MB else 'missed'} |"
    )


if __name__ == "__main__":
    main()
