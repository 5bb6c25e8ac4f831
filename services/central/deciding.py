"""Deciding a batch: check its codes, load its facts at once, decide each passage in order.

Each passage is decided by the pure kernel (``gather_facts``, ``decide``,
``aftermath``) on facts loaded for the whole batch by
:func:`~services.storage.batch_facts.load_batch_facts`.  The passages are decided
in the order they came, and each one's aftermath is counted before the next
(:meth:`~services.storage.batch_facts.BatchFacts.apply`), as if they had come
one by one.  Nothing is written here: that is :mod:`services.central.recording`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from kernel.decision import CodeFacts, decide
from kernel.decision.aftermath import Aftermath, aftermath, once_used
from kernel.decision.facts import Facts
from kernel.decision.gather import gather_facts, leaving_facts
from kernel.decision.reasons import Reason
from kernel.plates import plate_or_none
from schemas.messages import Passage
from schemas.policy import Policy
from services.storage.batch_facts import BatchFacts, FactQuery, load_batch_facts

log = logging.getLogger(__name__)

MAX_FORWARD_AGE = timedelta(days=30)
# A gate's clock may run this far ahead of ours (drift between NTP syncs), no further.
MAX_FUTURE_SKEW = timedelta(minutes=5)

Verified = dict[tuple[str, datetime], CodeFacts]  # (code, when judged) -> what it says


class CodeVerifier(Protocol):
    def __call__(self, code: str, now: datetime) -> CodeFacts:
        """Verify one code's signature and validity window (not its one-time use)."""
        ...

    def check_signatures(self, codes: Collection[str]) -> None:
        """Check a batch's signatures ahead of the calls (all at once, maybe in parallel)."""
        ...


@dataclass(frozen=True, slots=True)
class Decided:
    """One passage decided: the facts it was judged on and what follows (with the answer)."""

    passage: Passage
    facts: Facts
    after: Aftermath


def clock_believable(passage: Passage, now: datetime) -> bool:
    """Whether the gate's time for ``passage`` lies in [now - MAX_FORWARD_AGE, now + skew]."""
    return now - MAX_FORWARD_AGE <= passage.ts <= now + MAX_FUTURE_SKEW


def decision_time(passage: Passage, now: datetime) -> datetime:
    """When to judge a passage: now, or for one decided offline, when it happened.

    A passage forwarded from a gate's outbox is judged by the facts of its own
    time (a code valid then counts even if it expired during the outage), when
    the gate's clock is believable; a passage dated 1970 or 9999 is judged at
    receipt, and :func:`decide_one` flags it ``gate_clock``.
    """
    if passage.local_decision is None or not clock_believable(passage, now):
        return now
    return min(passage.ts, now)


def verify_codes(verify: CodeVerifier, passages: Sequence[Passage], now: datetime) -> Verified:
    """Every signed code of the batch, checked once for each time it is judged at."""
    verify.check_signatures({c.data for p in passages for c in p.credentials if c.kind == "qr"})
    verified: Verified = {}
    for passage in passages:
        when = decision_time(passage, now)
        for credential in passage.credentials:
            if credential.kind == "qr" and (credential.data, when) not in verified:
                verified[credential.data, when] = verify(credential.data, when)
    return verified


def fact_query(
    site: str,
    policy: Policy,
    passages: Sequence[Passage],
    verified: Verified,
    *,
    hash_plain_id: Callable[[str], str] | None,
    now: datetime,
) -> FactQuery:
    """What the batch's codes and plain identifiers name, for one look-up per kind."""
    named: dict[str, set[str]] = {"person": set(), "visitor": set(), "pass": set()}
    for code in verified.values():
        if code.subject:
            named.get(code.typ or "", named["person"]).add(code.subject)
    plain = (
        {c.data for p in passages for c in p.credentials if c.kind != "qr"}
        if policy.accept_plain_ids
        else set()
    )
    window = policy.longest_exit_window_hours()
    leaving = [decision_time(p, now) for p in passages if p.direction == "out"]
    return FactQuery(
        site=site,
        person_ids=frozenset(named["person"] | plain),
        id_hashes=frozenset(map(hash_plain_id, plain)) if hash_plain_id else frozenset(),
        card_nos=frozenset(plain),
        appointment_ids=frozenset(named["visitor"]),
        pass_ids=frozenset(named["pass"]),
        jtis=frozenset(c.jti for c in verified.values() if c.once and c.jti),
        exits_after=min(leaving) - timedelta(hours=window) if window and leaving else None,
        plates=frozenset(
            filter(None, (plate_or_none(p.vehicle.plate) for p in passages if p.vehicle))
        ),
    )


def decide_batch(
    session: Session,
    passages: Sequence[Passage],
    *,
    site: str,
    policy: Policy,
    verify: CodeVerifier,
    hash_plain_id: Callable[[str], str] | None,
    now: datetime,
) -> list[Decided]:
    """Decide the batch's passages in order, on facts loaded for all of them at once."""
    verified = verify_codes(verify, passages, now)
    query = fact_query(site, policy, passages, verified, hash_plain_id=hash_plain_id, now=now)
    source = load_batch_facts(session=session, query=query, hash_plain_id=hash_plain_id)
    return [decide_one(p, verified, source, policy, now) for p in passages]


def decide_one(
    passage: Passage, verified: Verified, source: BatchFacts, policy: Policy, now: datetime
) -> Decided:
    """One passage: facts, decision, aftermath, and the aftermath counted for the next."""
    when = decision_time(passage, now)
    entering = passage.direction == "in"

    def check(code: str) -> CodeFacts:
        return once_used(verified[code, when], entering=entering, used=source.code_used)

    facts = gather_facts(
        passage,
        check_code=check,
        source=source,
        now=when,
        accept_plain_ids=policy.accept_plain_ids,
    )
    if not entering:
        facts = leaving_facts(passage, facts, policy, source.exits_since)
    decision = decide(passage, facts, policy)
    if passage.local_decision is not None:
        decision = decision.model_copy(update={"decided_at": now})
    if not clock_believable(passage, now):
        # Recorded with the entry and shown to the security office with the passage.
        log.warning("gate %s dated passage %s %s: judged at receipt",
                    passage.gate, passage.event_id, passage.ts.isoformat())  # fmt: skip
        reasons = [*decision.reasons, Reason.GATE_CLOCK.value]
        decision = decision.model_copy(update={"reasons": reasons})
    after = aftermath(passage, decision, facts, now=now)
    source.apply(after)
    return Decided(passage, facts, after)
