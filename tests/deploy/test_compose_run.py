"""The compose file, run: every service as a local process, resolved from `deploy init`'s files.

tests/fixtures/compose_engine.py does what ``docker compose up`` would (environment,
env files, secrets, volumes, network names and ports, ``depends_on``, healthchecks) with
this machine's Mosquitto and PostgreSQL in place of their images.  Then a simulated gate
lane, logged in with its own account from the deployment, sends passages: the decisions
come back, the web service shows the gate, the report job has written the daily report,
the chain is sealed and verifies, the central worker's /metrics counted what was sent,
and every process stops cleanly on SIGTERM.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.codes import issue_code
from kernel.codes.keys import load_signing_key
from services.audit.chain import verify
from services.demo.people import roster_csv, synthetic_people
from services.deploy import layout
from services.deploy.init import InitOptions, init_deployment
from services.identity import IdHasher
from services.roster import import_roster
from services.storage.engine import make_engine
from services.storage.models import EntryRow, ReportRunRow
from tests.fixtures.compose_engine import ComposeEngine
from tests.fixtures.db import PG_SERVER
from tests.fixtures.deploy import ROOT, read_env_file
from tests.fixtures.simulated_gate import Lane, make_lane
from tests.fixtures.waiting import wait_until
from tests.fixtures.web import add_users
from tests.fixtures.web_server import PASSWORD

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.slow]

GATES = """\
[[gate]]
site = "main"
gate = "north-1"

[[gate]]
site = "main"
gate = "south-1"

[[service]]
role = "central"
user = "central"

[[service]]
role = "web"
user = "web"
"""
PASSAGES = 12


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compose")
    gates = folder / "gates.toml"
    gates.write_text(GATES)
    directory = folder / "site"
    # The report is due at once: yesterday's, at 00:00 local time.
    init_deployment(directory, InitOptions(gates=gates, report_at="00:00"))
    return directory


@pytest.fixture(scope="module")
def engine(deployment: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeEngine]:
    run = ComposeEngine(
        ROOT / "docker-compose.yml",
        deployment / layout.COMPOSE_ENV,
        tmp_path_factory.mktemp("run"),
        PG_SERVER,
    )
    try:
        run.up()
        yield run
    finally:
        run.down()


def db_url(engine: ComposeEngine) -> str:
    return engine.services["central"].env["CAMPUSGATE_DB__URL"]


def enrol(engine: ComposeEngine, deployment: Path) -> list[str]:
    """A roster (hashed with the deployment's own ID-number key) and their signed ID codes."""
    people = [p for p in synthetic_people(20) if p.kind == "staff"][:3]
    key = bytes.fromhex(read_env_file(deployment / "env/id-hash.env")["CAMPUSGATE_ID_HASH_KEY"])
    database = make_engine(db_url(engine))
    try:
        with Session(database) as session, session.begin():
            import_roster(roster_csv(people).splitlines(), session=session, hasher=IdHasher(key))
    finally:
        database.dispose()
    add_users(db_url(engine))
    signing = load_signing_key(deployment / layout.KEYS_DIR)
    now = datetime.now(UTC)
    return [
        issue_code(signing, subject=p.person_id, typ="id", ttl=timedelta(days=1), now=now,
                   site="main")
        for p in people
    ]  # fmt: skip


def simulated_lane(engine: ComposeEngine, deployment: Path, workdir: Path) -> Lane:
    secrets = read_env_file(deployment / "broker/secrets.env")
    port = engine.services["mosquitto"].ports[1883]
    url = f"mqtt://south-1:{secrets['CAMPUSGATE_BROKER_PASSWORD_SOUTH_1']}@127.0.0.1:{port}"
    return make_lane(url, site="main", gate="south-1", workdir=workdir,
                     site_keys=deployment / layout.SITE_KEYS_DIR, decision_timeout_s=5.0,
                     resend_s=10.0)  # fmt: skip


def metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    )


def test_the_compose_file_runs_and_a_gate_is_served(
    engine: ComposeEngine, deployment: Path, tmp_path: Path
) -> None:
    codes = enrol(engine, deployment)
    lane = simulated_lane(engine, deployment, tmp_path)
    lane.agent.start()
    try:
        lane.wait_snapshot()  # the central side knows the gate and signed its whitelist
        passages = [lane.person(codes[i % len(codes)]) for i in range(PASSAGES)]
        fever = lane.person(codes[0], celsius="38.4", expect="isolate")
        lane.wait_drained()
        decided = {d.event_id: d for d in lane.decisions}
        assert {decided[p.event_id].decision for p in passages} == {"admit"}
        assert decided[fever.event_id].decision == "isolate"
        assert decided[passages[0].event_id].person is not None
    finally:
        lane.agent.stop()
    sent = PASSAGES + 1
    _the_web_service_shows_the_gate(engine, sent)
    _the_report_job_wrote_yesterdays_report(engine)
    _the_chain_is_sealed_and_verifies(engine, sent)
    _central_metrics_count_what_was_sent(engine, sent)


def _the_web_service_shows_the_gate(engine: ComposeEngine, sent: int) -> None:
    assert httpx.get(engine.url("web", 8080, "/readyz")).text == "ready\n"
    with httpx.Client(base_url=engine.url("web", 8080)) as client:
        signed = client.post("/api/v1/session", json={"username": "officer", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        # The compose gate service (north-1, its account from its secret) is online; the
        # simulated lane has left (its last status: offline) with its passages logged.
        north = client.get("/api/v1/gates/north-1").json()
        assert north["gate"]["online"] is True
        south = client.get("/api/v1/gates/south-1").json()
        assert south["gate"]["online"] is False
        assert south["gate"]["today"] == sent
        assert len(south["recent"]) >= 1
        page = client.get("/dashboard")
        assert page.status_code == 200
        assert "north-1" in page.text
        assert "south-1" in page.text


def _the_report_job_wrote_yesterdays_report(engine: ComposeEngine) -> None:
    reports = engine.services["report"].mounts["/reports"]
    assert wait_until(lambda: len(list(reports.rglob("*.pdf"))) >= 1)
    assert list(reports.rglob("*.csv"))
    database = make_engine(db_url(engine))
    try:
        with Session(database) as session:
            runs = session.scalars(select(ReportRunRow)).all()
    finally:
        database.dispose()
    yesterday = str(datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1))
    made = {(r.day, r.format): r for r in runs}
    assert {(yesterday, "pdf"), (yesterday, "csv")} <= set(made)
    assert made[yesterday, "pdf"].zero  # nobody passed yesterday: a zero report (零报告)
    assert Path(made[yesterday, "pdf"].path).name in {p.name for p in reports.rglob("*.pdf")}


def _the_chain_is_sealed_and_verifies(engine: ComposeEngine, sent: int) -> None:
    database = make_engine(db_url(engine))
    try:

        def sealed() -> bool:
            with Session(database) as session:
                return verify(session=session).unsealed_tail == 0

        assert wait_until(sealed)
        with Session(database) as session:
            report = verify(session=session)
            entries = session.scalars(select(EntryRow.event_id)).all()
    finally:
        database.dispose()
    assert not report.problems
    assert report.chain_rows == len(entries) == sent
    assert len({uuid.UUID(e) for e in entries}) == sent


def _central_metrics_count_what_was_sent(engine: ComposeEngine, sent: int) -> None:
    """Summed over the replicas, as Prometheus' ``sum()`` would: they share the passages."""
    replicas = engine.replicas("central")
    assert len(replicas) == 3  # deploy.replicas, each its own worker id and session
    pages = [httpx.get(engine.url(r.name, 9100, "/metrics")).text for r in replicas]
    text = "\n".join(pages)
    assert metric(text, "campusgate_passages_decided_total") == sent
    assert metric(text, 'campusgate_passages_decided_total{outcome="isolate"}') == 1
    received = metric(text, "campusgate_passages_received_total")
    assert received - metric(text, "campusgate_passages_redelivered_total") == sent
    assert metric(text, "campusgate_decision_latency_seconds_count") == received
    for replica in replicas:
        assert httpx.get(engine.url(replica.name, 9100, "/readyz")).status_code == 200


def test_every_service_stops_cleanly(engine: ComposeEngine) -> None:
    codes = engine.down()
    engine.services = {}  # already down
    # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done: the web
    # service ends "by SIGTERM" after finishing, which docker and systemd count as a stop.
    assert codes == {**dict.fromkeys(codes, 0), "web": -signal.SIGTERM}, codes
    assert {"central", "web", "gate", "report", "sealer", "retention", "migrate"} <= set(codes)
