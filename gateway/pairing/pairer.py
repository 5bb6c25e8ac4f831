"""Turns a stream of scans and body readings into one passage per person.

Pure: the caller hands in monotonic times; nothing here reads a clock, a port
or the network, so every pairing rule is tested with plain numbers.

Rules (DESIGN section 3, issue 4):

* A reading below ``presence_min`` is the empty scene (the sensor looking at
  the wall or the air), never a person.
* Readings arrive in *episodes*: readings less than ``window`` apart.  A scan
  pairs with the highest reading of the episode not yet used by an earlier
  passage (reading first), or with the first reading that arrives after it
  within ``window`` (scan first).  Highest, because a fever must not hide behind
  an early, cooler reading.  A reading is used once: a triggered sensor's next
  measurement (the next person, measured before scanning) stays free for the
  next scan, while what a pairing used never pairs again.
* A scan with no reading within ``window`` becomes a passage without a
  temperature (the decision asks for a re-measure).
* When an episode ends, the readings no passage used are looked at: if their
  peak is at or above the fever threshold they become a passage without
  credentials: an unknown febrile person still raises an alert, even when they
  were measured right after someone who did scan.
* Scans that arrive while a passage is gathering join it (an ID code and a
  health code); ``gather`` holds a complete pair this long for more scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from devices.thermometer.frames import Reading
from schemas.messages import MAX_CREDENTIALS, Credential

DEFAULT_WINDOW_S = 5.0
DEFAULT_PRESENCE_MIN_C = Decimal("30.0")
DEFAULT_THRESHOLD_C = Decimal("37.3")
SIGNED_CODE_PREFIX = "CG1."

PairingOutcome = Literal["paired", "no_reading", "unscanned_fever"]


def credential_for(text: str) -> Credential:
    """A signed ``CG1.`` code is a ``qr`` credential; anything else is a plain card number."""
    kind: Literal["qr", "card"] = "qr" if text.startswith(SIGNED_CODE_PREFIX) else "card"
    return Credential(kind=kind, data=text)


@dataclass(frozen=True, slots=True)
class Paired:
    """One person's passage as the lane saw it: what was scanned and the body reading."""

    credentials: tuple[Credential, ...]
    reading: Reading | None
    outcome: PairingOutcome


@dataclass(slots=True)
class _Episode:
    """Readings less than a window apart.  Only what pairing needs is kept, so an
    episode that never ends (a busy lane, a continuous-output sensor) stays small."""

    last_at: float = 0.0
    fresh: Reading | None = None  # the highest reading no passage has used yet

    def add(self, reading: Reading, at: float) -> None:
        self.last_at = at
        if self.fresh is None or reading.celsius > self.fresh.celsius:
            self.fresh = reading

    def take_fresh_peak(self) -> Reading | None:
        """The highest reading no passage has used yet; from now on it is used."""
        fresh, self.fresh = self.fresh, None
        return fresh


@dataclass(slots=True)
class _Gathering:
    credentials: list[Credential]
    since: float
    reading: Reading | None = None
    complete_at: float | None = None


class Pairer:
    """The pairing state of one lane; feed it scans, body readings and ticks."""

    def __init__(
        self,
        *,
        window_s: float = DEFAULT_WINDOW_S,
        gather_s: float = 0.0,
        presence_min: Decimal = DEFAULT_PRESENCE_MIN_C,
        threshold: Decimal = DEFAULT_THRESHOLD_C,
    ) -> None:
        if window_s <= 0 or gather_s < 0 or gather_s >= window_s:
            raise ValueError("pairing needs window > 0 and 0 <= gather < window")
        self.window_s = window_s
        self.gather_s = gather_s
        self.presence_min = presence_min
        self.threshold = threshold
        self._episode: _Episode | None = None
        self._gathering: _Gathering | None = None
        self.empty_scene_readings = 0

    # -- inputs ----------------------------------------------------------------

    def scan(self, text: str, at: float) -> list[Paired]:
        out = self.tick(at)
        credential = credential_for(text)
        gathering = self._gathering
        if gathering is None:
            gathering = self._gathering = _Gathering(credentials=[], since=at)
        if credential not in gathering.credentials:
            if len(gathering.credentials) >= MAX_CREDENTIALS:
                return out  # a passage carries at most this many; the rest is noise
            gathering.credentials.append(credential)
        episode = self._episode
        if gathering.reading is None and episode is not None:
            gathering.reading = episode.take_fresh_peak()
            if gathering.reading is not None:
                gathering.complete_at = at
        out += self._release_if_due(at)
        return out

    def reading(self, reading: Reading, at: float) -> list[Paired]:
        """A body reading (already offset-corrected); other kinds must not come here."""
        out = self.tick(at)
        if reading.kind != "body":
            raise ValueError(f"only body readings pair with scans, got {reading.kind}")
        if reading.celsius < self.presence_min:
            self.empty_scene_readings += 1
            return out
        episode = self._episode
        if episode is None:
            episode = self._episode = _Episode()
        gathering = self._gathering
        if gathering is not None and gathering.reading is None:
            # Scan first: this reading came after the scan, so it is this person's.
            gathering.reading = reading
            gathering.complete_at = at
            episode.last_at = at
        elif gathering is not None and gathering.reading is not None:
            # Still gathering codes: a higher reading of the same person counts.
            gathering.reading = max(gathering.reading, reading, key=lambda r: r.celsius)
            episode.last_at = at
        else:
            episode.add(reading, at)
        out += self._release_if_due(at)
        return out

    def tick(self, at: float) -> list[Paired]:
        """Release what is due at ``at``: complete pairs, expired scans, ended episodes."""
        out = self._release_if_due(at)
        gathering = self._gathering
        if (
            gathering is not None
            and gathering.reading is None
            and at - gathering.since >= (self.window_s)
        ):
            out.append(Paired(tuple(gathering.credentials), None, "no_reading"))
            self._gathering = None
        episode = self._episode
        if episode is not None and at - episode.last_at >= self.window_s:
            fresh = episode.take_fresh_peak()
            if fresh is not None and fresh.celsius >= self.threshold:
                out.append(Paired((), fresh, "unscanned_fever"))
            self._episode = None
        return out

    def next_deadline(self) -> float | None:
        """The next time :meth:`tick` may release something, or None."""
        deadlines: list[float] = []
        gathering = self._gathering
        if gathering is not None:
            if gathering.complete_at is not None:
                deadlines.append(gathering.complete_at + self.gather_s)
            else:
                deadlines.append(gathering.since + self.window_s)
        if self._episode is not None:
            deadlines.append(self._episode.last_at + self.window_s)
        return min(deadlines) if deadlines else None

    def _release_if_due(self, at: float) -> list[Paired]:
        gathering = self._gathering
        if gathering is None or gathering.complete_at is None or gathering.reading is None:
            return []
        if at - gathering.complete_at < self.gather_s:
            return []
        self._gathering = None
        return [Paired(tuple(gathering.credentials), gathering.reading, "paired")]
