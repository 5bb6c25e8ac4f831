"""The one health type every device family reports and the gate status reads.

A running device answers ``health()`` with ``(state, detail)``: ``ok``, ``degraded``
(working, but its readings or scans are not to be trusted fully), ``unconfigured``
(working, but a setting it needs is missing: the detail names it) or ``fault`` (not
working: unplugged, cannot open, not started), and a short reason for people.  The
gate status adds ``absent`` for a device the lane does not have (schemas.DeviceHealth).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

HealthState = Literal["ok", "degraded", "unconfigured", "fault"]
Health: TypeAlias = tuple[HealthState, str]

OK: Health = ("ok", "")
SEVERITY: dict[HealthState, int] = {"ok": 0, "degraded": 1, "unconfigured": 2, "fault": 3}


def worst(*healths: Health) -> Health:
    """The most severe of several healths, the details of the worst ones joined."""
    top = max(SEVERITY[state] for state, _ in healths)
    chosen = [(state, detail) for state, detail in healths if SEVERITY[state] == top]
    return chosen[0][0], "; ".join(detail for _, detail in chosen if detail)
