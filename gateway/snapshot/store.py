"""Holds the gate's current whitelist snapshot: verified, swapped whole, kept on disk.

:meth:`SnapshotStore.install` takes an envelope (:mod:`schemas.snapshot`): it is
decoded and checked first, then written to a temporary file, fsynced and renamed
over the old one, and only then becomes :attr:`current`.  A bad envelope leaves
everything as it was.  On start the file on disk is checked the same way.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.messages import SnapshotInfo
from schemas.snapshot import GateSnapshot, SnapshotError, decode

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Held:
    snapshot: GateSnapshot
    checksum: str


class SnapshotStore:
    def __init__(self, path: Path, *, site: str, gate: str) -> None:
        self.path = path
        self.site, self.gate = site, gate
        self.rejected = 0
        self.last_error = ""
        self._held: Held | None = None
        if path.exists():
            try:
                self._held = self._check(path.read_bytes())
            except (SnapshotError, OSError) as exc:
                self.last_error = f"snapshot on disk unusable: {exc}"
                log.error("gate %s: %s", gate, self.last_error)

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
        """Check and keep ``envelope``; True if it replaced the snapshot in use."""
        try:
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
            log.warning(
                "gate %s: older snapshot %d ignored (holding %d)",
                self.gate,
                held.snapshot.version,
                current.snapshot.version,
            )
            return False
        self._write(envelope)
        self._held = held  # one reference swap: readers see the old or the new, whole
        self.last_error = ""
        log.info(
            "gate %s: snapshot %d installed (%d persons, %s)",
            self.gate,
            held.snapshot.version,
            len(held.snapshot.persons),
            held.checksum[:12],
        )
        return True

    def age_s(self, now: datetime) -> float | None:
        held = self._held
        return None if held is None else (now - held.snapshot.built_at).total_seconds()

    def _check(self, envelope: bytes) -> Held:
        header, snapshot = decode(envelope)
        if (snapshot.site, snapshot.gate) != (self.site, self.gate):
            raise SnapshotError(f"snapshot is for {snapshot.site}/{snapshot.gate}")
        return Held(snapshot, header.sha256)

    def _write(self, envelope: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(envelope)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
