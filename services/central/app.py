"""Wiring of the central service from its settings; the CLI and the demo use it."""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kernel.bus.mqtt import parse_broker_url
from kernel.clock import Clock, SystemClock
from kernel.codes import KEYS_RELOAD_S, CodeChecker, KeyRing, LiveKeys, Verifier
from kernel.codes.keys import active_kid
from kernel.observe import Check, ObserveServer
from kernel.plain_ids import PlainIdHash
from kernel.redact import redact_url
from schemas.messages import Command
from schemas.policy import Policy
from schemas.topics import GateChannel, gate_topic
from services.audit.chain import seal_all
from services.central.gaps import CHECK_INTERVAL_S, GapTracker
from services.central.metrics import CentralMetrics
from services.central.processor import BatchProcessor
from services.central.settings import CentralSettings
from services.central.worker import CentralWorker, Periodic
from services.identity import IdHasher, load_id_hash_key
from services.policy.announce import PolicyAnnouncer
from services.policy.file import load_policy
from services.policy.service import seed_policy
from services.policy.store import stored_policy
from services.snapshot.publisher import SnapshotPublisher
from services.storage.engine import make_engine, upgrade
from services.storage.models import PolicyVersionRow

log = logging.getLogger(__name__)

SIGNAL_CHECK_S = 0.5


def code_verifier(keyring: KeyRing, *, site: str | None = None) -> CodeChecker:
    return CodeChecker(Verifier(keyring, site=site))


def key_reloader(keys: LiveKeys, codes: CodeChecker) -> Callable[[], None]:
    """A periodic task: a key made or retired since the last look is in force from now on."""

    def reload() -> None:
        if keys.reload():
            codes.use_keys(keys.ring)

    return reload


def policy_in_force(
    sessions: sessionmaker[Session], site: str, given: Policy, *, from_file: bool, now: datetime
) -> Policy:
    """The database's newest policy; a site without one gets ``given`` stored as its first."""
    try:
        with sessions() as session, session.begin():
            stored = stored_policy(session=session, site=site)
            if stored is None:
                seed_policy(session=session, policy=given, by="central", now=now)
                return given
    except IntegrityError:  # another worker stored the first policy at the same moment
        with sessions() as session:
            stored = stored_policy(session=session, site=site)
    if stored is None:
        return given
    if from_file and stored.model_dump(exclude={"version"}) != given.model_dump(
        exclude={"version"}
    ):
        log.warning(
            "policy file ignored: the database holds policy version %d for %s "
            "(change it with campusgate policy import)",
            stored.version,
            site,
        )
    return stored


def policy_refresher(
    sessions: sessionmaker[Session], worker: CentralWorker, processor: BatchProcessor
) -> Callable[[], None]:
    """A periodic task: adopt and announce a newer stored policy version."""

    def refresh() -> None:
        with sessions() as session:
            latest = session.scalar(
                select(func.max(PolicyVersionRow.version)).where(
                    PolicyVersionRow.site == worker.site
                )
            )
            if latest is None or latest == processor.policy.version:
                return
            newer = stored_policy(session=session, site=worker.site)
        if newer is not None:
            processor.policy = worker.policy = newer
            worker.announce_policy(worker.clock.now())
            log.info("policy version %d in force (level %s)", newer.version, newer.level or "-")

    return refresh


def sync_sender(worker: CentralWorker) -> Callable[[str, str], None]:
    """Send a gate the ``sync`` command: it re-sends every passage not answered yet."""

    def send(gate: str, reason: str) -> None:
        command = Command(
            command_id=uuid.uuid4(), site=worker.site, gate=gate, command="sync",
            issued_by="central", reason=reason, ts=worker.clock.now(),
        )  # fmt: skip
        topic = gate_topic(worker.site, gate, GateChannel.COMMAND)
        worker.bus.publish(topic, command.model_dump_json().encode(), qos=1)

    return send


def plain_id_hash(settings: CentralSettings) -> PlainIdHash | None:
    """The hash that finds a person by an ID-card number; None without a key set."""
    if settings.id_hash_key is None:
        return None
    text = settings.id_hash_key.get_secret_value()
    return IdHasher(load_id_hash_key(allow_demo_key=settings.demo_id_key, text=text)).hash


def build_worker(
    settings: CentralSettings, *, clock: Clock | None = None, policy: Policy | None = None
) -> CentralWorker:
    engine = make_engine(settings.db.url, pre_ping=False)
    sessions = sessionmaker(engine, expire_on_commit=False, class_=Session)
    clock = clock or SystemClock()
    policy = policy_in_force(
        sessions,
        settings.site,
        policy or load_policy(settings.policy_file, site=settings.site),
        from_file=settings.policy_file is not None,
        now=clock.now(),
    )
    keys = LiveKeys(settings.keys_dir)
    codes = code_verifier(keys.ring, site=settings.site)
    processor = BatchProcessor(
        site=settings.site,
        engine=engine,
        policy=policy,
        verify=codes,
        hash_plain_id=plain_id_hash(settings),
    )
    if policy.accept_plain_ids and processor.hash_plain_id is None:
        log.warning("the policy accepts plain IDs but no ID hash key is set: ID-card "
                    "numbers will not be found (set CAMPUSGATE_ID_HASH_KEY)")  # fmt: skip
    worker = CentralWorker(
        address=parse_broker_url(settings.mqtt.url),
        processor=processor,
        clock=clock,
        site=settings.site,
        policy=policy,
        worker_id=settings.worker_id,
        batch_max=settings.batch_max,
        batch_wait_s=settings.batch_wait_ms / 1000,
    )
    worker.on_stop.extend((processor.close, engine.dispose, codes.close))
    clock_now = worker.clock.now
    worker.periodic.append(
        Periodic(
            "refresh policy",
            settings.policy_refresh_s,
            policy_refresher(sessions, worker, processor),
        )
    )
    worker.periodic.append(Periodic("reload keys", KEYS_RELOAD_S, key_reloader(keys, codes)))
    worker.periodic.append(
        Periodic(
            "seal entry chain",
            settings.seal_interval_s,
            lambda: seal_all(sessions=sessions, now=clock_now),
        )
    )
    gaps = GapTracker(
        sessions=sessions, site=settings.site, clock=worker.clock, send_sync=sync_sender(worker)
    )
    worker.after_batch.append(lambda result: gaps.observe(result.numbered))
    worker.periodic.append(Periodic("check passage numbering", CHECK_INTERVAL_S, gaps.check))
    return worker


def build_snapshot_publisher(
    settings: CentralSettings,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    announcer: PolicyAnnouncer | None = None,
) -> SnapshotPublisher:
    """The publisher of the gates' whitelist snapshots (offline decisions).

    Give it the worker's ``announcer`` when both run in one process: the policy
    topic then has one writer that knows both the policy and the snapshots.
    """
    engine = make_engine(settings.db.url)
    return SnapshotPublisher(
        address=parse_broker_url(settings.mqtt.url),
        site=settings.site,
        sessions=sessionmaker(engine, expire_on_commit=False, class_=Session),
        policy=policy or load_policy(settings.policy_file, site=settings.site),
        keys=LiveKeys(settings.keys_dir, signing=True),
        clock=clock or SystemClock(),
        announcer=announcer,
    )


def retire(settings: CentralSettings) -> int:
    """Drain and end worker ``settings.worker_id``'s broker session (scaling down)."""
    worker = build_worker(settings)
    worker.retire()
    log.info(
        "worker %s retired after %d passages; its session is gone",
        settings.worker_id,
        worker.passages,
    )
    return 0


def observe(
    settings: CentralSettings, worker: CentralWorker, snapshots: SnapshotPublisher, listen: str
) -> ObserveServer:
    """``/healthz``, ``/readyz`` (database, broker, keys) and ``/metrics`` on ``listen``."""
    engine = make_engine(settings.db.url)

    def database() -> str | None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None

    def broker() -> str | None:
        return None if worker.bus.connected else "not connected to the broker"

    def keys() -> str | None:
        active_kid(settings.keys_dir)
        return None

    checks: dict[str, Check] = {"database": database, "broker": broker, "keys": keys}
    metrics = CentralMetrics()
    worker.after_batch.append(metrics.observe)
    metrics.add_snapshots(lambda: snapshots.published_count)
    metrics.add_readiness(checks)
    worker.on_stop.append(engine.dispose)
    return ObserveServer(listen, metrics.registry, checks).start()


def run_until_signalled(
    settings: CentralSettings, *, upgrade_db: bool = True, http: str | None = None
) -> int:
    """Run one worker until SIGTERM or SIGINT, then finish the batch and disconnect."""
    if upgrade_db:
        upgrade(settings.db.url)
    worker = build_worker(settings)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    snapshots = build_snapshot_publisher(settings, policy=worker.policy, announcer=worker.announcer)
    server = observe(settings, worker, snapshots, http) if http else None
    snapshots.start()
    log.info(
        "central worker %s serving site %s on %s",
        settings.worker_id,
        settings.site,
        redact_url(settings.mqtt.url),
    )
    # Wait in short steps, not for good: a signal handler runs only when this
    # thread runs Python, and a SIGTERM taken by another thread (or landing just
    # before the wait blocks) would otherwise never be acted on (seen in CI).
    while not stop.wait(SIGNAL_CHECK_S):
        pass
    if server is not None:
        server.stop()
    snapshots.stop()
    worker.stop()
    log.info("stopped after %d passages in %d batches", worker.passages, worker.batches)
    return 0
