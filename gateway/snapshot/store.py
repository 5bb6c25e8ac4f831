"""Holds the gate's current whitelist snapshot: verified, swapped whole, kept on disk.

:meth:`SnapshotStore.install` takes an envelope (:mod:`schemas.snapshot`): its
signature is checked first (a key configured on the gate, ``trusted``, or a key
in force in the snapshot held, signed it: :mod:`kernel.codes.snapshots`), then it
is decoded and checked, written to a temporary file (0600: it names people),
fsynced and renamed over the old one, and only then becomes :attr:`current`.  A
bad or unsigned envelope leaves everything as it was, and :attr:`last_error`
(shown in the gate's status) says why.  On start the file on disk is checked the
same way, against the configured keys and the keys it carries itself: it was
checked when it arrived, and the disk is the gate's own.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kernel.clock import Clock
from kernel.codes.keys import KeyRing
from kernel.codes.snapshots import check_signature
from kernel.errors import ConfigError
from schemas.messages import SnapshotInfo
from schemas.snapshot import (
    GateSnapshot,
    SnapshotError,
    apply,
    decode,
    decode_delta,
    encode,
    read_header,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Held:
    snapshot: GateSnapshot
    checksum: str


def _ring_of(snapshot: GateSnapshot) -> KeyRing:
    """The keys a snapshot carries (none if one of them is unreadable)."""
    try:
        return KeyRing.from_public_keys(
            snapshot.keys, retires=snapshot.key_retires, retired=snapshot.keys_retired
        )
    except ConfigError:
        return KeyRing({})


class SnapshotStore:
    def __init__(self, path: Path, *, site: str, gate: str, trusted: KeyRing, clock: Clock) -> None:
        self.path = path
        self.site, self.gate = site, gate
        self.anchors = trusted
        self.clock = clock
        self.rejected = 0
        self.deltas = 0
        self.last_error = ""
        self._held: Held | None = None
        self._held_ring = KeyRing({})
        if not trusted.kids:
            log.warning("gate %s: no site keys configured (site_keys_dir): every snapshot "
                        "is refused, offline passages are denied", gate)  # fmt: skip
        if path.exists():
            try:
                self._adopt(self._check(path.read_bytes(), trust_own_keys=True))
            except (SnapshotError, OSError) as exc:
                self.last_error = f"snapshot on disk unusable: {exc}"
                log.error("gate %s: %s", gate, self.last_error)

    def _adopt(self, held: Held) -> None:
        self._held_ring = _ring_of(held.snapshot)
        self._held = held  # one reference swap: readers see the old or the new, whole

    def trusted(self) -> KeyRing:
        """The keys a new snapshot may be signed by: the configured ones and the held ones."""
        return self._held_ring.with_anchors(self.anchors)

    @property
    def current(self) -> Held | None:
        return self._held

    def info(self) -> SnapshotInfo | None:
        held = self._held
        if held is None:
            return None
        return SnapshotInfo(
            version=held.snapshot.version,
            checksum=held.checksum,
            taken_at=held.snapshot.built_at,
        )

    def install(self, envelope: bytes) -> bool:
        """Check and keep a full snapshot or a delta; True if the snapshot in use changed."""
        try:
            if read_header(envelope).kind == "delta":
                envelope = self._apply_delta(envelope)
            held = self._check(envelope)
        except SnapshotError as exc:
            self.rejected += 1
            self.last_error = str(exc)
            log.warning("gate %s: snapshot rejected: %s", self.gate, exc)
            return False
        current = self._held
        if current is not None and current.checksum == held.checksum:
            return False
        if current is not None and held.snapshot.version < current.snapshot.version:
            # Normal after a reconnect: the retained full snapshot predates the deltas.
            log.info(
                "gate %s: older snapshot %d ignored (holding %d)",
                self.gate,
                held.snapshot.version,
                current.snapshot.version,
            )
            return False
        self._write(envelope)
        self._adopt(held)
        self.last_error = ""
        log.info(
            "gate %s: snapshot %d installed (%d persons, %s)",
            self.gate,
            held.snapshot.version,
            len(held.snapshot.persons),
            held.checksum[:12],
        )
        return True

    def _apply_delta(self, envelope: bytes) -> bytes:
        """The full envelope that the delta makes of the snapshot held."""
        check_signature(read_header(envelope), self.trusted(), self.clock.now())
        delta = decode_delta(envelope)
        if (delta.site, delta.gate) != (self.site, self.gate):
            raise SnapshotError(f"snapshot delta is for {delta.site}/{delta.gate}")
        held = self._held
        if held is None:
            raise SnapshotError("a delta arrived but no snapshot is held")
        self.deltas += 1
        # The result carries the signatures the central made over it (checked next).
        full, _ = encode(apply(held.snapshot, delta), lambda _signed: dict(delta.result_sigs))
        return full

    def age_s(self, now: datetime) -> float | None:
        held = self._held
        return None if held is None else (now - held.snapshot.built_at).total_seconds()

    def _check(self, envelope: bytes, *, trust_own_keys: bool = False) -> Held:
        now = self.clock.now()
        if not trust_own_keys:
            check_signature(read_header(envelope), self.trusted(), now)
        header, snapshot = decode(envelope)
        if trust_own_keys:
            check_signature(header, _ring_of(snapshot).with_anchors(self.anchors), now)
        if (snapshot.site, snapshot.gate) != (self.site, self.gate):
            raise SnapshotError(f"snapshot is for {snapshot.site}/{snapshot.gate}")
        return Held(snapshot, header.sha256)

    def _write(self, envelope: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(envelope)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
