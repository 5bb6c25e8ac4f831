"""Why a reason fired, in words built from what the explanation found (``audit explain``).

One small function per reason of the catalogue (:mod:`kernel.decision.reasons`);
a test checks that every reason has one.  Each reads the explanation's context:
``entry`` (the logged entry as shown), ``policy`` (the policy version's figures)
and ``facts`` (person, grant, used codes, household exits as stored now).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.decision.reasons import Reason

Context = dict[str, Any]


def _fever(entry: Context, policy: Context, facts: Context) -> str:
    threshold = policy.get("threshold", "37.3 (default)")
    mode = policy.get("screening_here", "hard")
    return (
        f"{entry['celsius']} C measured by {entry.get('sensor') or '?'} is at or above "
        f"the threshold {threshold} C; screening at {entry['gate']} is {mode}"
    )


def _implausible(entry: Context, policy: Context, facts: Context) -> str:
    return (
        f"{entry['celsius']} C is outside the plausible range "
        f"{policy.get('plausible_min', '34.0')}-{policy.get('plausible_max', '43.0')} C"
    )


def _not_whitelisted(entry: Context, policy: Context, facts: Context) -> str:
    person, grant = facts.get("person"), facts.get("grant")
    if person is not None:
        return (
            f"{person['person_id']} is in the roster but was not valid then "
            f"(active now: {person['active']}, valid {person['valid_from']} .. "
            f"{person['valid_until']})"
        )
    if grant is not None:
        return (
            f"{grant['id']} ({grant['type']}) did not admit then: status {grant['status']}, "
            f"window {grant['valid_from']} .. {grant['valid_until']}"
        )
    return "no valid code named anyone in the roster, an approved appointment or a pass"


def _not_allowed_here(entry: Context, policy: Context, facts: Context) -> str:
    gates = (facts.get("person") or facts.get("grant") or {}).get("gates", "?")
    return (
        f"{entry['gate']} is not among the allowed gates ({gates}) or kinds, "
        "or the pass's uses are spent, or visitors are banned"
    )


def _return_not_approved(entry: Context, policy: Context, facts: Context) -> str:
    person = facts.get("person") or {}
    return (
        f"student's return (返校) not approved (now: {person.get('return_approved')}, "
        f"by {person.get('return_approved_by')})"
    )


def _code_used(entry: Context, policy: Context, facts: Context) -> str:
    used = facts.get("used_codes", [])
    first = next((u for u in used if u["event_id"] != entry["event_id"]), None)
    return "a one-time code was presented again" + (
        f"; it was spent by {first['event_id']} at {first['used_at']}" if first else ""
    )


def _quota_exceeded(entry: Context, policy: Context, facts: Context) -> str:
    exits = facts.get("household_exits_before", [])
    return f"household {facts.get('household')} had already used its exit quota: " + ", ".join(
        f"{e['person_id']} at {e['exited_at']}" for e in exits
    )


def _health_rule(reason: Reason) -> Callable[[Context, Context, Context], str]:
    def why(entry: Context, policy: Context, facts: Context) -> str:
        required = policy.get("health_code_required")
        return f"health code rule {reason} (the policy requires a health code: {required})"

    return why


def _said(text: str) -> Callable[[Context, Context, Context], str]:
    return lambda entry, policy, facts: text


WHY: dict[Reason, Callable[[Context, Context, Context], str]] = {
    Reason.GATE_CLOSED: lambda entry, policy, facts: (
        f"gate {entry['gate']} was closed (locked down, or closed by the policy's level)"
    ),
    Reason.INVALID_CODE: _said(
        "a code was forged, unreadable or signed by an unknown key, "
        "or codes of two people were shown"
    ),
    Reason.EXPIRED_CODE: _said("a code's validity had ended when the passage was decided"),
    Reason.CODE_USED: _code_used,
    Reason.NOT_WHITELISTED: _not_whitelisted,
    Reason.NOT_ALLOWED_HERE: _not_allowed_here,
    Reason.RETURN_NOT_APPROVED: _return_not_approved,
    Reason.ISOLATION_PENDING: lambda entry, policy, facts: (
        f"the person has an open isolation case {entry.get('case_id')}"
    ),
    Reason.SUSPENDED: _said(
        "the person's isolation case was confirmed and no return (复学) is recorded yet"
    ),
    Reason.SYMPTOMS: _said("the guard recorded symptoms with the passage"),
    Reason.HEALTH_CODE_MISSING: _health_rule(Reason.HEALTH_CODE_MISSING),
    Reason.HEALTH_CODE_YELLOW: _health_rule(Reason.HEALTH_CODE_YELLOW),
    Reason.HEALTH_CODE_RED: _health_rule(Reason.HEALTH_CODE_RED),
    Reason.TEST_EXPIRED: _health_rule(Reason.TEST_EXPIRED),
    Reason.TRAVEL_RISK: _health_rule(Reason.TRAVEL_RISK),
    Reason.NO_MASK: _said("marked without a mask where masks are required"),
    Reason.NO_TEMPERATURE: _said("the gate sent no temperature reading"),
    Reason.IMPLAUSIBLE_TEMPERATURE: _implausible,
    Reason.FEVER: _fever,
    Reason.QUOTA_EXCEEDED: _quota_exceeded,
    Reason.PLATE_NOT_ALLOWED: lambda entry, policy, facts: (
        f"the vehicle {facts.get('plate', '')} was on no plate whitelist entry valid then "
        "and on no approved visitor appointment whose window was open"
    ),
    Reason.SNAPSHOT_STALE: _said(
        "the gate decided offline on a whitelist snapshot older than its maximum "
        "offline age: it admits nobody on it"
    ),
    Reason.MALFORMED: _said("the message failed validation; it is kept in the rejected messages"),
    Reason.GATE_CLOCK: lambda entry, policy, facts: (
        f"the gate dated the passage {entry.get('ts')}, before the 30 days a forwarded "
        "passage may be or over 5 minutes ahead: judged at receipt, not at the gate's time"
    ),
}


def why(reason: str, ctx: Context) -> str:
    """Why ``reason`` fired for the entry in ``ctx``; an unknown code is given as itself."""
    try:
        explain = WHY[Reason(reason)]
    except ValueError:
        return reason
    return explain(ctx["entry"], ctx["policy"], ctx["facts"])
