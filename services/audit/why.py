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
from ui.i18n import Phrase

Context = dict[str, Any]


def _fever(entry: Context, policy: Context, facts: Context) -> str:
    return Phrase("why.fever", celsius=entry["celsius"], sensor=entry.get("sensor") or "?",
                  threshold=policy.get("threshold", "37.3 (default)"), gate=entry["gate"],
                  mode=policy.get("screening_here", "hard"))  # fmt: skip


def _implausible(entry: Context, policy: Context, facts: Context) -> str:
    return Phrase("why.implausible", celsius=entry["celsius"],
                  low=policy.get("plausible_min", "34.0"),
                  high=policy.get("plausible_max", "43.0"))  # fmt: skip


def _not_whitelisted(entry: Context, policy: Context, facts: Context) -> str:
    person, grant = facts.get("person"), facts.get("grant")
    if person is not None:
        return Phrase("why.not_valid_then", person=person["person_id"], active=person["active"],
                      start=person["valid_from"], end=person["valid_until"])  # fmt: skip
    if grant is not None:
        return Phrase("why.grant_not_then", grant=grant["id"], type=grant["type"],
                      status=grant["status"], start=grant["valid_from"],
                      end=grant["valid_until"])  # fmt: skip
    return Phrase("why.nobody")


def _not_allowed_here(entry: Context, policy: Context, facts: Context) -> str:
    gates = (facts.get("person") or facts.get("grant") or {}).get("gates", "?")
    return Phrase("why.not_allowed_here", gate=entry["gate"], gates=gates)


def _return_not_approved(entry: Context, policy: Context, facts: Context) -> str:
    person = facts.get("person") or {}
    return Phrase("why.return_not_approved", approved=person.get("return_approved"),
                  by=person.get("return_approved_by"))  # fmt: skip


def _code_used(entry: Context, policy: Context, facts: Context) -> str:
    used = facts.get("used_codes", [])
    first = next((u for u in used if u["event_id"] != entry["event_id"]), None)
    if first is None:
        return Phrase("why.code_used")
    return Phrase("why.code_used_by", event=first["event_id"], at=first["used_at"])


def _quota_exceeded(entry: Context, policy: Context, facts: Context) -> str:
    exits = facts.get("household_exits_before", [])
    listed = ", ".join(f"{e['person_id']} at {e['exited_at']}" for e in exits)
    return Phrase("why.quota", household=facts.get("household"), exits=listed)


def _health_rule(reason: Reason) -> Callable[[Context, Context, Context], str]:
    def why(entry: Context, policy: Context, facts: Context) -> str:
        return Phrase("why.health_rule", reason=reason.value,
                      required=policy.get("health_code_required"))  # fmt: skip

    return why


def _said(key: str) -> Callable[[Context, Context, Context], str]:
    return lambda entry, policy, facts: Phrase(key)


WHY: dict[Reason, Callable[[Context, Context, Context], str]] = {
    Reason.GATE_CLOSED: lambda entry, policy, facts: Phrase("why.gate_closed", gate=entry["gate"]),
    Reason.INVALID_CODE: _said("why.invalid_code"),
    Reason.EXPIRED_CODE: _said("why.expired_code"),
    Reason.CODE_USED: _code_used,
    Reason.NOT_WHITELISTED: _not_whitelisted,
    Reason.NOT_ALLOWED_HERE: _not_allowed_here,
    Reason.RETURN_NOT_APPROVED: _return_not_approved,
    Reason.ISOLATION_PENDING: lambda entry, policy, facts: Phrase(
        "why.isolation_pending", case=entry.get("case_id")
    ),
    Reason.SUSPENDED: _said("why.suspended"),
    Reason.SYMPTOMS: _said("why.symptoms"),
    Reason.HEALTH_CODE_MISSING: _health_rule(Reason.HEALTH_CODE_MISSING),
    Reason.HEALTH_CODE_YELLOW: _health_rule(Reason.HEALTH_CODE_YELLOW),
    Reason.HEALTH_CODE_RED: _health_rule(Reason.HEALTH_CODE_RED),
    Reason.TEST_EXPIRED: _health_rule(Reason.TEST_EXPIRED),
    Reason.TRAVEL_RISK: _health_rule(Reason.TRAVEL_RISK),
    Reason.NO_MASK: _said("why.no_mask"),
    Reason.NO_TEMPERATURE: _said("why.no_temperature"),
    Reason.IMPLAUSIBLE_TEMPERATURE: _implausible,
    Reason.FEVER: _fever,
    Reason.QUOTA_EXCEEDED: _quota_exceeded,
    Reason.PLATE_NOT_ALLOWED: lambda entry, policy, facts: Phrase(
        "why.plate", plate=facts.get("plate", "")
    ),
    Reason.SNAPSHOT_STALE: _said("why.snapshot_stale"),
    Reason.MALFORMED: _said("why.malformed"),
    Reason.GATE_CLOCK: lambda entry, policy, facts: Phrase("why.gate_clock", ts=entry.get("ts")),
}


def why(reason: str, ctx: Context) -> str:
    """Why ``reason`` fired for the entry in ``ctx`` (a Phrase: English, and every language
    through ``ui.i18n.say``); an unknown code is given as itself."""
    try:
        explain = WHY[Reason(reason)]
    except ValueError:
        return reason
    return explain(ctx["entry"], ctx["policy"], ctx["facts"])
