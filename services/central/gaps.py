"""Noticing passages no worker received: gaps in each gate's numbering (issue 14, High 1).

A gate's outbox numbers its passages 1, 2, 3, ... per stream (``Passage.seq``),
and every entry keeps its number.  A broker can still lose a passage (a queue
limit, a restart without persistence, a share handed to a client that may not
read it); the gate re-sends it only after ``resend_s``, and meanwhile the lane
decided on its own.  Here the central side notices the hole itself:

* each batch tells the tracker which (gate, stream) got numbers (:meth:`GapTracker.observe`);
* between batches (:meth:`GapTracker.check`), for each such stream, the numbers
  logged above the stream's ``checked_to`` are read back from the database, so
  what other workers logged counts too;
* a number missing below the highest logged one is a *hole*; a hole still
  there after ``grace_s`` (other workers' batches commit a moment later) is a
  *gap*: recorded in ``passage_gaps``, logged, and the gate is sent a ``sync``
  command, on which it re-sends everything it has not been answered for;
* a gap whose passage has arrived since is marked filled; a gate with gaps still
  open is asked again every ``resync_s``.

A passage lost after the gate's last numbered one shows only once a later one
arrives; the gate's own re-sending covers that case.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.clock import Clock
from kernel.logjson import passage_fields
from services.central import gap_store

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 1.0
GRACE_S = 3.0
"""A hole younger than this may be a passage in another worker's uncommitted batch."""
RESYNC_S = 10.0
"""A gate with gaps still open is asked again this often (a re-sent copy may be lost too)."""
SCAN_LIMIT = 5000
"""Numbers read per stream per check; a longer backlog is read over several checks."""
MAX_JUMP = 100_000
"""More missing numbers in a row than this is no loss but a broken numbering: logged only."""
MAX_REASON_CHARS = 200
OPEN_GAPS_LOOK_S = 5.0
"""With no gap open or found here, another worker's gaps are looked at this often."""

Numbered = tuple[str, str, int]  # gate, stream, n
SendSync = Callable[[str, str], None]  # gate, reason


def holes_in(after: int, received: Sequence[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Numbers above ``after`` and below the highest of ``received`` (ascending) that are missing.

    Returns the missing numbers and, apart, any run of more than MAX_JUMP of them.
    """
    missing: list[int] = []
    jumps: list[tuple[int, int]] = []
    expected = after + 1
    for n in received:
        if n > expected:
            if n - expected > MAX_JUMP:
                jumps.append((expected, n - 1))
            else:
                missing.extend(range(expected, n))
        expected = max(expected, n + 1)
    return missing, jumps


def _run(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def describe(numbers: Sequence[int]) -> str:
    """``1-3, 7`` for [1, 2, 3, 7] (ascending), cut to fit a command's reason."""
    runs: list[str] = []
    start = previous = numbers[0]
    for n in numbers[1:]:
        if n != previous + 1:
            runs.append(_run(start, previous))
            start = n
        previous = n
    runs.append(_run(start, previous))
    text = f"{len(numbers)} passage(s) never arrived: {', '.join(runs)}"
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


class GapTracker:
    """One worker's share of the numbering check (several workers may run it at once)."""

    def __init__(
        self,
        *,
        sessions: Callable[[], Session],
        site: str,
        clock: Clock,
        send_sync: SendSync,
        grace_s: float = GRACE_S,
        resync_s: float = RESYNC_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.site = site
        self.clock = clock
        self.send_sync = send_sync
        self.grace_s = grace_s
        self.resync_s = resync_s
        self.monotonic = monotonic
        self._dirty: set[tuple[str, str]] = set()
        self._holes: dict[tuple[str, str], dict[int, float]] = {}  # n -> first seen
        self._asked: dict[str, float] = {}
        self._open_seen = False
        self._next_look = -math.inf
        self.gaps_found = 0
        self.gaps_filled = 0
        self.syncs_sent = 0

    def observe(self, numbered: Sequence[Numbered]) -> None:
        """The numbers of a batch just committed (called on the worker's thread)."""
        for gate, stream, _n in numbered:
            self._dirty.add((gate, stream))

    def check(self) -> None:
        """Read back what needs checking, record gaps, ask gates to send again."""
        now, mono = self.clock.now(), self.monotonic()
        keys = sorted(self._dirty)
        self._dirty.clear()
        if not keys and not self._open_seen and mono < self._next_look:
            return  # the common case: nothing numbered arrived, no gap open
        recorded: dict[str, list[int]] = {}
        with self.sessions() as session, session.begin():
            for gate, stream in keys:
                found, again = self._check_stream(session, gate, stream, now, mono)
                if again:
                    self._dirty.add((gate, stream))
                if found:
                    recorded.setdefault(gate, []).extend(found)
                    log.warning(
                        "gate %s: %d passage(s) of stream %s never arrived (%s); "
                        "asking the gate to send them again",
                        gate, len(found), stream, describe(found),
                        extra=passage_fields(gate=gate, site=self.site),
                    )  # fmt: skip
            filled: list[tuple[str, str, int]] = []
            still_open: dict[str, list[int]] = {}
            if recorded or self._open_seen or mono >= self._next_look:
                filled = gap_store.mark_filled(session=session, site=self.site, now=now)
                still_open = gap_store.open_gaps(session=session, site=self.site)
                self._open_seen = bool(still_open)
                self._next_look = mono + OPEN_GAPS_LOOK_S
        self.gaps_found += sum(len(found) for found in recorded.values())
        self.gaps_filled += len(filled)
        for gate, stream, n in filled:
            log.info("gate %s: passage %d of stream %s arrived after all", gate, n, stream)
        for gate, numbers in still_open.items():
            asked = self._asked.setdefault(gate, -math.inf if gate in recorded else mono)
            if gate in recorded or mono - asked >= self.resync_s:
                self._ask(gate, numbers, mono)
        for gate in set(self._asked) - set(still_open):
            del self._asked[gate]

    def _check_stream(
        self, session: Session, gate: str, stream: str, now: datetime, mono: float
    ) -> tuple[list[int], bool]:
        """Gaps newly recorded for one stream, and whether it needs another look."""
        where = {"site": self.site, "gate": gate, "stream": stream}
        after = gap_store.checked_to(session=session, **where)
        received = gap_store.received_after(session=session, after=after, limit=SCAN_LIMIT, **where)
        if not received:
            self._holes.pop((gate, stream), None)
            return [], False
        missing, jumps = holes_in(after, received)
        for low, high in jumps:
            log.error("gate %s: stream %s skips %d-%d; not counted", gate, stream, low, high)
        seen = self._holes.get((gate, stream), {})
        holes = {n: seen.get(n, mono) for n in missing}
        # Holes are found lowest first, so the ones past the grace time come first.
        due = [n for n, first in holes.items() if mono - first >= self.grace_s]
        young = [n for n, first in holes.items() if mono - first < self.grace_s]
        found = gap_store.record_gaps(session=session, numbers=due, now=now, **where)
        self._holes[(gate, stream)] = {n: holes[n] for n in young}
        if not young:
            del self._holes[(gate, stream)]
        mark = young[0] - 1 if young else received[-1]
        if mark > after:
            gap_store.move_checked_to(session=session, to=mark, now=now, **where)
        return found, bool(young) or len(received) == SCAN_LIMIT

    def _ask(self, gate: str, numbers: list[int], mono: float) -> None:
        self._asked[gate] = mono
        try:
            self.send_sync(gate, describe(numbers))
        except Exception:
            log.exception("gate %s: could not send the sync command; asking again later", gate)
            return
        self.syncs_sent += 1
