"""The look-up at the gate's own kiosk (issue 20): the central kiosk's (issue 15), offline.

A guard finds the person in front of them in the gate's signed snapshot, by person id,
campus card number, ID-document number or name, sees their name and masked ID, and
sends a passage for them: a ``manual`` credential with the person id and the guard's
handheld reading, through the agent and its outbox (decided at the gate while the
centre is away, logged centrally once, under the guard's name: ``entered_by``).

- :func:`search` is pure: only active people the snapshot lets through this gate, at
  most :data:`MAX_RESULTS`; an ID number is found through the keyed hash the snapshot
  carries, exactly as the offline decision resolves it (never the number itself).
- :class:`LookupDesk` counts each guard's look-ups (the central's limits, kept in the
  agent's memory: see :class:`Counted`), logs every one, and names each person found by
  a ``ref``, a random token bound to the guard that expires; the page never holds the
  person id.
"""

from __future__ import annotations

import logging
import secrets
import threading
import unicodedata
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from kernel.clock import Monotonic
from kernel.masking import mask_person_id
from kernel.plain_ids import PlainIdHash
from schemas.snapshot import ID_HASH_HEX, GateSnapshot, SnapshotPerson

log = logging.getLogger(__name__)

MAX_QUERY = 64
MAX_RESULTS = 5
MIN_NAME_PART = 2
"""A name matches whole, or by a part of at least this many characters (王小明 by 小明)."""
LOOKUP_WINDOW_S = 600.0
LOOKUPS_PER_WINDOW = 30
LOOKUPS_PER_DAY = 200
DAY_S = 86400.0
"""The central kiosk's limits (services/web/gates/lookup.py; a test keeps them equal)."""
REF_TTL_S = 300.0
MAX_REFS = 1024


class LookupRefused(Exception):
    """A look-up or its passage refused: ``status``, ``error`` code, and words."""

    def __init__(self, status: int, error: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.error, self.retry_after = status, error, retry_after


def query_text(query: object) -> str:
    """The query as searched (NFKC: full-width digits typed by an IME are digits), or
    LookupRefused 422 for what no guard types: empty, over 64, control characters."""
    if not isinstance(query, str):
        raise LookupRefused(422, "invalid_input", "the query is text")
    if len(query) > MAX_QUERY * 4:
        raise LookupRefused(422, "invalid_input", f"at most {MAX_QUERY} characters")
    text = unicodedata.normalize("NFKC", query)
    if not text.isprintable():
        raise LookupRefused(422, "invalid_input", "the query holds control characters")
    text = text.strip()
    if not text or len(text) > MAX_QUERY:
        raise LookupRefused(422, "invalid_input", f"a number or a name, 1-{MAX_QUERY} characters")
    return text


def allowed_here(person: SnapshotPerson, gate: str) -> bool:
    return person.active and (person.gates is None or gate in person.gates)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def search(
    snapshot: GateSnapshot | None, gate: str, query: str, hash_plain_id: PlainIdHash | None
) -> list[SnapshotPerson]:
    """The people of ``gate`` a (checked) query names: by id, card, ID number or name."""
    if snapshot is None or snapshot.gate != gate:
        return []
    people = [p for p in snapshot.persons if allowed_here(p, gate)]
    upper = query.replace(" ", "").upper()
    digest = None
    if hash_plain_id is not None and upper.isalnum() and upper.isascii():
        digest = hash_plain_id(query)[:ID_HASH_HEX]
    name = _folded(query)
    by_part = len(name) >= MIN_NAME_PART

    def number(p: SnapshotPerson) -> bool:
        card = p.card_no is not None and upper == p.card_no.upper()
        return query == p.id or card or (digest is not None and p.id_hash == digest)

    def named(p: SnapshotPerson) -> bool:
        folded = _folded(p.name)
        return folded == name or (by_part and name in folded)

    # A number names one person: they come first, then names, each in id order.
    found = [p for p in people if number(p) or named(p)]
    return sorted(found, key=lambda p: (not number(p), p.id))[:MAX_RESULTS]


class Counted:
    """Each guard's look-ups in the last day (monotonic times), in the agent's memory.

    Memory, not disk: the kiosk's sessions live there too (an agent restart signs every
    guard out), a restart takes the gate's operator, not the kiosk, and every look-up is
    in the agent's log whatever the counts; the gate's storage is spared a write per
    look-up.  The limits are the central's: 30 in 10 minutes, 200 a day, per guard.
    """

    def __init__(self, monotonic: Monotonic) -> None:
        self.monotonic = monotonic
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, guard: str) -> None:
        """Count one look-up of ``guard``; LookupRefused 429 when over a limit."""
        now = self.monotonic()
        with self._lock:
            times = self._times.setdefault(guard, deque())
            while times and now - times[0] >= DAY_S:
                times.popleft()
            recent = [t for t in times if now - t < LOOKUP_WINDOW_S]
            if len(recent) >= LOOKUPS_PER_WINDOW:
                wait = int(LOOKUP_WINDOW_S - (now - recent[-LOOKUPS_PER_WINDOW])) + 1
                raise LookupRefused(429, "lookup_limit", "too many look-ups", wait)
            if len(times) >= LOOKUPS_PER_DAY:
                wait = int(DAY_S - (now - times[-LOOKUPS_PER_DAY])) + 1
                raise LookupRefused(429, "lookup_limit", "too many look-ups today", wait)
            times.append(now)


class ManualLane(Protocol):
    """What the desk asks of the gate agent (thread-safe: it posts to the lane's loop)."""

    def manual_passage(
        self, person_id: str, celsius: Decimal, by: str, mask: bool | None = True
    ) -> uuid.UUID: ...


@dataclass(frozen=True, slots=True)
class _Ref:
    person_id: str
    guard: str
    expires: float


class LookupDesk:
    """The look-ups of one gate's kiosk over the snapshot it holds now."""

    def __init__(
        self,
        *,
        gate: str,
        snapshot: Callable[[], GateSnapshot | None],
        lane: ManualLane,
        monotonic: Monotonic,
        hash_plain_id: PlainIdHash | None = None,
    ) -> None:
        self.gate, self.snapshot, self.lane = gate, snapshot, lane
        self.monotonic, self.hash_plain_id = monotonic, hash_plain_id
        self.counted = Counted(monotonic)
        self._refs: OrderedDict[str, _Ref] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, guard: str, query: object) -> list[dict[str, Any]]:
        """What ``guard`` finds for ``query`` here, as the central kiosk's results."""
        text = query_text(query)
        self.counted.take(guard)
        found = search(self.snapshot(), self.gate, text, self.hash_plain_id)
        # Every look-up in the agent's log, attributable: who, how much, whom (person
        # ids, as passages name them); never the query, which may be an ID number.
        log.info(
            "gate %s: look-up by %s at the local kiosk: %d found %s",
            self.gate, guard, len(found), [p.id for p in found],
        )  # fmt: skip
        return [self._result(guard, p) for p in found]

    def _result(self, guard: str, person: SnapshotPerson) -> dict[str, Any]:
        ref = secrets.token_urlsafe(24)
        with self._lock:
            self._refs[ref] = _Ref(person.id, guard, self.monotonic() + REF_TTL_S)
            while len(self._refs) > MAX_REFS:
                self._refs.popitem(last=False)
        return {
            "ref": ref,
            "name": person.name,
            "kind": person.kind,
            "unit": "",
            "class_name": "",
            "masked_person_id": mask_person_id(person.id),
            "masked_id": person.masked_id,
            "has_photo": False,  # the snapshot carries no photos
        }

    def send(self, guard: str, ref: object, celsius: Decimal, mask: bool | None) -> uuid.UUID:
        """A passage for the person ``ref`` names (found by ``guard``, recently)."""
        person_id = self._opened(guard, ref)
        snapshot = self.snapshot()
        if snapshot is None or not snapshot.policy.accept_plain_ids:
            raise LookupRefused(409, "plain_ids_refused", "the policy does not accept typed IDs")
        person = next((p for p in snapshot.persons if p.id == person_id), None)
        if person is None or not allowed_here(person, self.gate):
            raise LookupRefused(404, "person_not_found", "no such person at this gate")
        event_id = self.lane.manual_passage(person_id, celsius, guard, mask)
        log.info(
            "gate %s: manual passage %s by %s at the local kiosk (%s C)",
            self.gate, event_id, guard, celsius,
        )  # fmt: skip
        return event_id

    def _opened(self, guard: str, ref: object) -> str:
        if not isinstance(ref, str) or not 0 < len(ref) <= 64:
            raise LookupRefused(422, "invalid_input", "ref is a look-up's result")
        with self._lock:
            found = self._refs.get(ref)
        if found is None or found.expires <= self.monotonic():
            raise LookupRefused(409, "lookup_expired", "look the person up again")
        if found.guard != guard:
            raise LookupRefused(403, "forbidden_gate", "that look-up was made by another guard")
        return found.person_id
