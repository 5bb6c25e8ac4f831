"""``audit explain EVENT_ID``: the inputs, the facts, the policy version and every reason.

An explanation is rebuilt from what was stored: the passage exactly as the
gate sent it (codes shown by their claims, never as the bearer text), the
decision as it was answered, the policy version it used (when versions are
stored), and the facts the database holds about the person, appointment,
pass, case, one-time code and household exits.  Roster facts are as the
roster is *now*; the explanation says so where that matters.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, SkipValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.codes import KeyRing, Verifier
from kernel.codes.format import split
from kernel.decision.core import SEVERITY
from kernel.decision.reasons import reason_info
from kernel.errors import CodeError, ExpiredCode, NotFound, NotYetValidCode
from kernel.masking import Masker, Role
from schemas.policy import Policy
from services.audit.chain import is_anonymised, personal_hash, public_hash
from services.audit.facts import passage_facts
from services.audit.queries import ENTRIES, HISTORY_COLUMNS, EntryView, names_of, view
from services.audit.why import why
from services.policy.store import stored_policy
from services.storage.audit_log import log_action
from services.storage.models import EntryChainRow
from ui.i18n import Phrase


def _outcome(reason: str) -> str:
    """The outcome a stored reason fires with, from the one catalogue ("?" if unknown)."""
    info = reason_info(reason)
    return "?" if info is None else info.outcome


class CodeSeen(BaseModel):
    """A scanned credential as its claims say (the code text itself is a bearer secret)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    typ: str | None = None
    subject: str | None = None
    key_id: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    once: bool = False
    jti: str | None = None
    health: str | None = None
    status_then: str  # valid / invalid / expired / not_yet_valid / unchecked / unreadable


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    outcome: str
    # A ui.i18n.Phrase kept as it is (not copied to a plain str): pages and the CLI word it.
    why: SkipValidation[str]


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    entry: dict[str, Any]
    inputs: dict[str, Any]
    codes: list[CodeSeen]
    facts: dict[str, Any]
    policy: dict[str, Any]
    decision: dict[str, Any]
    reasons: list[Reason]
    seal: dict[str, Any]


def _codes(
    passage: dict[str, Any], decided_at: datetime, keyring: KeyRing | None
) -> list[CodeSeen]:
    seen: list[CodeSeen] = []
    verifier = Verifier(keyring) if keyring is not None else None
    for credential in passage.get("credentials", []):
        kind = credential.get("kind", "?")
        data = credential.get("data", "")
        if kind != "qr":
            seen.append(CodeSeen(kind=kind, subject="(plain identifier)", status_then="unchecked"))
            continue
        try:
            _signed, claims, _sig = split(data)
        except CodeError:
            seen.append(CodeSeen(kind=kind, status_then="unreadable"))
            continue
        status = "unchecked"
        if verifier is not None:
            try:
                verifier.verify(data, decided_at)
                status = "valid"
            except ExpiredCode:
                status = "expired"
            except NotYetValidCode:
                status = "not_yet_valid"
            except CodeError:
                status = "invalid"

        def when(name: str, claims: dict[str, Any] = claims) -> datetime | None:
            value = claims.get(name)
            return (
                datetime.fromtimestamp(value, decided_at.tzinfo) if isinstance(value, int) else None
            )

        seen.append(
            CodeSeen(
                kind=kind,
                typ=claims.get("typ"),
                subject=claims.get("sub"),
                key_id=claims.get("kid"),
                issued_at=when("iat"),
                expires_at=when("exp"),
                once=bool(claims.get("once")),
                jti=claims.get("jti"),
                health=claims.get("hs"),
                status_then=status,
            )
        )
    return seen


def _entry(session: Session, event_id: str, masker: Masker) -> tuple[Any, EntryView]:
    """The stored entry and how the asker sees it (names masked by role)."""
    connection = session.connection()
    row = connection.execute(select(ENTRIES).where(ENTRIES.c.event_id == event_id)).first()
    if row is None:
        raise NotFound(f"no entry with event id {event_id!r}")
    names = names_of(
        session,
        {row.person_id} if row.person_id else set(),
        {row.grant_id} if row.grant_id else set(),
    )
    return row, view(row, names, masker)


def explain(
    *,
    session: Session,
    event_id: str,
    actor: str,
    role: Role | str,
    now: datetime,
    keyring: KeyRing | None = None,
) -> Explanation:
    masker = Masker(role)
    row, shown = _entry(session, event_id, masker)
    entry = json.loads(json.dumps(shown.as_dict(), default=str))
    anonymised = is_anonymised(row)
    passage: dict[str, Any] = {} if anonymised else json.loads(row.passage_json)
    answer: dict[str, Any] = {} if anonymised else json.loads(row.decision_json)
    codes = _codes(passage, row.decided_at, keyring)
    inputs = {k: v for k, v in passage.items() if k != "credentials"}
    policy_row = stored_policy(session=session, site=row.site, version=row.policy_version)
    policy = _policy_facts(policy_row, row)
    facts = passage_facts(
        session,
        row,
        masker,
        grants_in_codes=[c.subject for c in codes if c.typ in ("visitor", "pass") and c.subject],
        once_jtis=[c.jti for c in codes if c.once and c.jti],
        exit_window=timedelta(hours=policy.get("exit_window_hours", 48)),
    )
    ctx = {"entry": entry, "policy": policy, "facts": facts}
    reasons = sorted(
        (Reason(reason=r, outcome=_outcome(r), why=why(r, ctx)) for r in shown.reasons),
        key=lambda r: -SEVERITY.get(r.outcome, 0),  # type: ignore[call-overload]
    )
    if not reasons:
        reasons = [Reason(reason="(none)", outcome=row.decision, why=Phrase("why.admitted"))]
    seal = _seal(session, row)
    log_action(
        session,
        at=now,
        actor=actor,
        role=str(role),
        action="audit.explain",
        target=event_id,
        count=1,
    )
    return Explanation(
        event_id=event_id,
        entry=entry,
        inputs=inputs,
        codes=codes,
        facts=facts,
        policy=policy,
        decision=_decision(row, answer),
        reasons=reasons,
        seal=seal,
    )


def _decision(row: Any, answer: dict[str, Any]) -> dict[str, Any]:
    """The decision as it was taken and answered."""
    return {
        "decision": row.decision,
        "decided_at": row.decided_at,
        "received_at": row.received_at,
        "local_decision": row.local_decision,
        "policy_version": row.policy_version,
        "case_id": row.case_id,
        "answer_sent": answer or "(anonymised)",
    }


def _policy_facts(policy: Policy | None, row: Any) -> dict[str, Any]:
    if policy is None:
        return {
            "version": row.policy_version,
            "note": "this version is not stored (a policy file or the defaults)",
        }
    quota = policy.exit_quota_for(row.gate)
    return {
        "version": policy.version,
        "level": policy.level,
        "threshold": str(policy.threshold),
        "plausible_min": str(policy.plausible_min),
        "plausible_max": str(policy.plausible_max),
        "screening_here": policy.screening_for(row.gate),
        "health_code_required": policy.health_code_required,
        "mask_required": policy.mask_required,
        "visitors_allowed": policy.visitors_allowed,
        "closed_gates": sorted(policy.closed_gates),
        "exit_quota": None if quota is None else f"{quota.exits} per {quota.window_hours} h",
        "exit_window_hours": quota.window_hours if quota else 48,
    }


def _seal(session: Session, row: Any) -> dict[str, Any]:
    chain = session.scalars(select(EntryChainRow).where(EntryChainRow.entry_id == row.id)).first()
    if chain is None:
        return {"sealed": False, "note": "not sealed yet (the sealer runs every second or so)"}
    return {
        "sealed": True,
        "seq": chain.seq,
        "sealed_at": chain.sealed_at,
        "public_fields_match": public_hash(row) == chain.public_hash,
        "personal_fields_match": personal_hash(row) == chain.personal_hash,
        "anonymised": is_anonymised(row),
    }


__all__ = ["HISTORY_COLUMNS", "Explanation", "explain"]
