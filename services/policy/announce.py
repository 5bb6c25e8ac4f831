"""The one writer of the site's retained policy topic (``.../policy``, a PolicyAnnouncement).

The announcement tells the gates what they must hold to decide offline: the
policy version and fever threshold in force, and the version of the site's data
with a checksum over the gates' snapshots.  Two parts of the central side learn
those: the decision worker adopts policy versions, the snapshot publisher cuts
snapshots.  Both tell one :class:`PolicyAnnouncer` what they learnt and it
publishes the whole announcement every time, so a retained message never loses
one half when the other changes (it did: a worker's start or policy refresh
announced the snapshot fields empty until the data changed again).

Each caller publishes through its own bus (the worker's runs on the worker's
thread, the publisher's on its own), so the announcer only holds what is known,
under a lock, and builds the message.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol

from schemas.messages import PolicyAnnouncement
from schemas.policy import Policy
from schemas.topics import SiteChannel, site_topic


class RetainedPublisher(Protocol):
    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish one message (the announcement goes QoS 1, retained)."""
        ...


class PolicyAnnouncer:
    """What the site's gates are told about its policy and snapshots; one per central process."""

    def __init__(self, site: str, policy: Policy) -> None:
        self.site = site
        self._lock = threading.Lock()
        self._policy = policy
        self._snapshot_version = 0
        self._snapshot_hash = ""

    @property
    def topic(self) -> str:
        return site_topic(self.site, SiteChannel.POLICY)

    def adopt(self, policy: Policy) -> None:
        """A policy version now in force; an older one than already known changes nothing."""
        with self._lock:
            if policy.version >= self._policy.version:
                self._policy = policy

    def snapshots_cut(self, version: int, checksum: str) -> None:
        """The site's data version and the checksum over the gates' snapshots just cut."""
        with self._lock:
            self._snapshot_version, self._snapshot_hash = version, checksum

    def announcement(self, now: datetime) -> PolicyAnnouncement:
        with self._lock:
            return PolicyAnnouncement(
                site=self.site,
                version=self._policy.version,
                threshold=self._policy.threshold,
                snapshot_version=self._snapshot_version,
                snapshot_hash=self._snapshot_hash,
                published_at=now,
            )

    def announce(self, bus: RetainedPublisher, now: datetime) -> PolicyAnnouncement:
        """Publish everything known, retained, through ``bus``."""
        announcement = self.announcement(now)
        bus.publish(self.topic, announcement.model_dump_json().encode(), qos=1, retain=True)
        return announcement
