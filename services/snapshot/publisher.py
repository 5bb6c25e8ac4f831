"""Keeps every gate's retained snapshot current (DESIGN section 6).

Gates make themselves known through their retained status, which also says
which snapshot they hold.  A gate that holds what it was sent last gets only the
changes (a delta, not retained); any other gets the full snapshot, retained.
Statuses are coalesced per gate: the network thread only keeps each gate's
newest one (no parsing there), and the publisher reads them between rounds, so a
gate that floods its status topic costs one parse per round, not one per
message, and wakes at most one round per ``MIN_ROUND_GAP_S`` (issue 14, Low).
Every ``check_interval_s`` (and within a second when a gate shows up holding
something else) the publisher reads the site's data, cuts each
known gate's snapshot and publishes it, retained, when its content changed, when
the gate holds a different one (a ``sync`` command makes the gate republish its
status), or when it was last published ``refresh_s`` ago: ``built_at`` then says
how fresh it is, which is what an offline gate's staleness is counted from.
It also tells the site's :class:`~services.policy.announce.PolicyAnnouncer` the
data version and a checksum over the gates' snapshots, and has it announce them.

Every envelope is signed with the site's private keys (:mod:`kernel.codes.snapshots`);
the key directory is looked at again every round, so a key made or retired goes
out to the gates with the next round (the snapshot's content changed).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from kernel.bus.mqtt import BrokerAddress, InboundMessage, MqttBus
from kernel.clock import Clock
from kernel.codes.reload import LiveKeys
from kernel.codes.snapshots import snapshot_signer
from schemas.messages import GateStatus
from schemas.policy import Policy
from schemas.snapshot import GateSnapshot, Signer, diff, encode, encode_delta
from schemas.topics import GateChannel, gate_filter, gate_topic, parse
from services.policy.announce import PolicyAnnouncer
from services.policy.store import stored_policy
from services.snapshot.build import read_site, snapshot_for

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 5.0
REFRESH_S = 3600.0
CONTENT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""``built_at`` is set to this when comparing contents: only the data counts."""
REPUBLISH_MIN_S = 5.0
"""A gate that keeps reporting another snapshot is sent it again at most this often."""
MIN_ROUND_GAP_S = 1.0
"""A status wakes a round at most this long after the previous one began."""
MAX_STATUS_BYTES = 64 * 1024
"""A gate status is a few hundred bytes; a larger one is ignored unread."""


@dataclass(slots=True)
class _Published:
    content: str  # checksum of the content without built_at
    checksum: str  # checksum of what was sent
    at: float


class SnapshotPublisher:
    def __init__(
        self,
        *,
        address: BrokerAddress,
        site: str,
        sessions: sessionmaker[Session],
        policy: Policy,
        keys: LiveKeys,
        clock: Clock,
        check_interval_s: float = CHECK_INTERVAL_S,
        refresh_s: float = REFRESH_S,
        announcer: PolicyAnnouncer | None = None,
    ) -> None:
        self.site = site
        self.sessions = sessions
        self.policy = policy
        self.keys = keys
        self.announcer = announcer or PolicyAnnouncer(site, policy)
        self.clock = clock
        self.check_interval_s = check_interval_s
        self.refresh_s = refresh_s
        self.published_count = 0
        self.invalid_statuses = 0
        self.rounds = 0
        # Each gate topic's newest status, unparsed, until the publisher thread takes it.
        self._arrived: dict[str, bytes] = {}
        self._holding: dict[str, str | None] = {}  # gate -> checksum it says it holds
        self._published: dict[str, _Published] = {}
        self._sent: dict[str, GateSnapshot] = {}  # what each gate was last sent, for deltas
        self.deltas_sent = 0
        self._site_hash = ""
        self._unsigned_warned = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.bus = MqttBus(
            address,
            client_id=f"campusgate-snapshots-{site}-{uuid.uuid4().hex[:6]}",
            on_message=self._on_status,
            subscriptions=((gate_filter(site, GateChannel.STATUS), 1),),
        )

    def start(self) -> None:
        self.bus.connect()
        self._thread = threading.Thread(target=self._run, name="snapshot-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.bus.close()

    def gates(self) -> list[str]:
        with self._lock:
            return sorted(self._holding)

    def _on_status(self, message: InboundMessage) -> None:
        """Paho's thread: keep the newest status of the topic and wake the publisher."""
        if len(message.payload) > MAX_STATUS_BYTES:
            self.invalid_statuses += 1
            return
        with self._lock:
            self._arrived[message.topic] = message.payload
        self._wake.set()

    def _take_statuses(self) -> bool:
        """Read the statuses that arrived since the last round; True if one needs a round."""
        with self._lock:
            arrived, self._arrived = self._arrived, {}
        needed = False
        for topic_text, payload in arrived.items():
            try:
                status = GateStatus.model_validate_json(payload)
                topic = parse(topic_text)
            except (ValidationError, ValueError):
                self.invalid_statuses += 1
                log.warning("invalid gate status on %s (%d bytes)", topic_text, len(payload))
                continue
            if getattr(topic, "gate", None) != status.gate or not status.online:
                continue
            held = status.snapshot.checksum if status.snapshot else None
            with self._lock:
                known = self._published.get(status.gate)
                self._holding[status.gate] = held
            needed = needed or known is None or held != known.checksum
        return needed

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._take_statuses()
                self.publish_round()
            except Exception:  # the database may be down: try again next round
                log.exception("snapshot round failed")
            self._wait_for_work(started)

    def _wait_for_work(self, started: float) -> None:
        """Until the check interval is over, or a status needs a round (not sooner than the gap)."""
        deadline = started + self.check_interval_s
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or not self._wake.wait(left):
                return
            self._wake.clear()
            # Coalesce: whatever else arrives before the gap is over is read in one go.
            if self._stop.wait(max(0.0, started + MIN_ROUND_GAP_S - time.monotonic())):
                return
            if self._take_statuses():
                return

    def publish_round(self) -> int:
        """Publish what needs publishing now; returns how many snapshots were sent."""
        with self._lock:
            holding = dict(self._holding)
        if not holding:
            return 0
        self.rounds += 1
        now = self.clock.now()
        with self.sessions() as session:
            # The policy in force is the newest stored version (campusgate policy).
            self.policy = stored_policy(session=session, site=self.site) or self.policy
            data = read_site(
                session=session, site=self.site, now=now,
                plain_ids=self.policy.accept_plain_ids,
            )  # fmt: skip
        sent = 0
        checksums: list[str] = []
        keyring = self.keys.current()
        if not self.keys.signers and not self._unsigned_warned:
            log.error("no private key in %s: gates refuse unsigned snapshots", self.keys.directory)
        self._unsigned_warned = not self.keys.signers
        signer = snapshot_signer(self.keys.signers)
        for gate, held in sorted(holding.items()):
            snapshot = snapshot_for(
                data, site=self.site, gate=gate, policy=self.policy, keyring=keyring, now=now
            )
            content = hashlib.sha256(
                snapshot.model_copy(update={"built_at": CONTENT_EPOCH}).model_dump_json().encode()
            ).hexdigest()
            checksums.append(content)
            last = self._published.get(gate)
            mono = time.monotonic()
            due = (
                last is None
                or last.content != content
                or mono - last.at >= self.refresh_s
                or (held != last.checksum and mono - last.at >= REPUBLISH_MIN_S)
            )
            if not due:
                continue
            envelope, checksum, kind = self._send(gate, snapshot, held, last, content, signer)
            self._sent[gate] = snapshot
            with self._lock:
                self._published[gate] = _Published(content, checksum, mono)
            sent += 1
            log.info(
                "snapshot %d for gate %s: %s, %d bytes", snapshot.version, gate, kind, len(envelope)
            )
        self.published_count += sent
        self._announce(data.version, checksums, now)
        return sent

    def _announce(self, version: int, checksums: list[str], now: datetime) -> None:
        """Have the site's announcer tell the gates, when the snapshots' contents changed."""
        site_hash = hashlib.sha256("".join(checksums).encode()).hexdigest()
        if site_hash != self._site_hash:
            self._site_hash = site_hash
            self.announcer.adopt(self.policy)
            self.announcer.snapshots_cut(version, site_hash)
            self.announcer.announce(self.bus, now)

    def _send(  # noqa: PLR0917 - one gate's round: what it holds, what it gets, signed how
        self,
        gate: str,
        snapshot: GateSnapshot,
        held: str | None,
        last: _Published | None,
        content: str,
        signer: Signer,
    ) -> tuple[bytes, str, str]:
        """Publish ``snapshot`` to ``gate``, as a delta when the gate holds what we sent last.

        Returns the envelope sent, the checksum the gate will hold, and what kind it was.
        """
        previous = self._sent.get(gate)
        in_step = last is not None and previous is not None and held == last.checksum
        if in_step and last is not None and last.content != content and previous is not None:
            # The gate holds what we sent last: the changes are enough.
            delta = diff(previous, snapshot, signer)
            envelope, checksum = encode_delta(delta, signer), delta.sha256
            topic = gate_topic(self.site, gate, GateChannel.SNAPSHOT_DELTA)
            self.bus.publish(topic, envelope, qos=1)
            self.deltas_sent += 1
            return envelope, checksum, f"delta (+{len(delta.upsert)} -{len(delta.remove)} people)"
        envelope, checksum = encode(snapshot, signer)
        topic = gate_topic(self.site, gate, GateChannel.SNAPSHOT)
        self.bus.publish(topic, envelope, qos=1, retain=True)
        return envelope, checksum, f"full ({len(snapshot.persons)} people)"
