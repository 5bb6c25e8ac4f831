"""A key directory watched while a process runs: ``keys new`` and ``keys retire`` act live.

Every process that verifies codes or signs snapshots holds a :class:`LiveKeys`.
It looks at the directory at most every :data:`KEYS_RELOAD_S` (names, sizes and
modification times of its few files: a handful of ``stat`` calls) and reloads
the ring when anything changed, so a new key verifies, and a retired one stops
verifying, within that interval of the command, with no restart.  A directory
caught half-written, or broken by hand, keeps the ring in use (and says so in
the log) until it reads cleanly.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from kernel.codes.keys import KeyRing, SigningKey, signing_keys
from kernel.errors import ConfigError

log = logging.getLogger(__name__)

KEYS_RELOAD_S = 2.0
"""A key made or retired is in force in every running process within this many seconds."""

Fingerprint = tuple[tuple[str, int, int], ...] | None


def fingerprint(directory: Path) -> Fingerprint:
    """What changes whenever a key file is added, removed or rewritten."""
    try:
        with os.scandir(directory) as entries:
            return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries))
    except OSError:
        return None


class LiveKeys:
    """The key ring of ``directory`` (and with ``signing``, its private keys), kept current."""

    def __init__(
        self,
        directory: Path,
        *,
        signing: bool = False,
        interval_s: float = KEYS_RELOAD_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.signing = signing
        self.interval_s = interval_s
        self._monotonic = monotonic
        self._seen = fingerprint(directory)
        # A directory unusable at start is the operator's to fix now: ConfigError.
        self.ring, self.signers = self._load()
        self._checked = monotonic()
        self.reloads = 0

    def _load(self) -> tuple[KeyRing, list[SigningKey]]:
        ring = KeyRing.load(self.directory)
        if not self.signing:
            return ring, []
        try:
            signers = signing_keys(self.directory)
        except ConfigError as exc:
            log.error("no private key to sign with in %s: %s", self.directory, exc)
            signers = []
        return ring, signers

    def reload(self) -> bool:
        """Look at the directory now; True if the keys changed and were reloaded."""
        self._checked = self._monotonic()
        seen = fingerprint(self.directory)
        if seen == self._seen:
            return False
        try:
            ring, signers = self._load()
        except ConfigError as exc:
            log.warning("key directory changed but cannot be read (%s); keeping the keys in use",
                        exc)  # fmt: skip
            return False
        self._seen, self.ring, self.signers = seen, ring, signers
        self.reloads += 1
        log.info(
            "key set version %d in force: %s%s",
            ring.version,
            ", ".join(ring.kids) or "no keys",
            f"; signing with {signers[0].kid}" if signers else "",
        )
        return True

    def current(self) -> KeyRing:
        """The ring, looked at again if the last look is older than the interval."""
        if self._monotonic() - self._checked >= self.interval_s:
            self.reload()
        return self.ring
