"""A site's screening policy: the rules' tuning values, versioned.

The policy travels to gates inside the whitelist snapshot, so it is a schema
model; every Decision records the ``version`` it was taken under.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.names import NAME_PATTERN, GateName, SiteName

DEFAULT_THRESHOLD = Decimal("37.3")
DEFAULT_PLAUSIBLE_MIN = Decimal("34.0")
DEFAULT_PLAUSIBLE_MAX = Decimal("43.0")

ScreeningMode = Literal["hard", "soft"]
ZoneName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
LevelName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class ExitQuota(BaseModel):
    """Household exit quota (DESIGN section 4): ``exits`` per household per window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exits: Annotated[int, Field(ge=1, le=100)] = 1
    window_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 48


class Zone(BaseModel):
    """A part of the campus (teaching area, family area) and the gates into it.

    ``kinds``: the person kinds its gates admit (None: every kind); ``open_from``
    and ``open_until``: its gates' opening hours in the site's local time (None:
    always; a window may wrap past midnight); ``exit_quota``: this zone's own
    household exit quota instead of the site's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    gates: frozenset[GateName]
    kinds: frozenset[str] | None = None
    open_from: time | None = None
    open_until: time | None = None
    exit_quota: ExitQuota | None = None

    @model_validator(mode="after")
    def _hours_are_paired(self) -> Zone:
        if (self.open_from is None) != (self.open_until is None):
            raise ValueError("give both open_from and open_until, or neither")
        return self


class Policy(BaseModel):
    """Everything :func:`kernel.decision.decide` needs besides the facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: SiteName
    version: Annotated[int, Field(ge=0)] = 0
    threshold: Annotated[Decimal, Field(ge=Decimal("35"), le=Decimal("40"))] = DEFAULT_THRESHOLD
    plausible_min: Decimal = DEFAULT_PLAUSIBLE_MIN
    plausible_max: Decimal = DEFAULT_PLAUSIBLE_MAX
    # "hard": a fever denies entry (isolate); "soft": admit, but alert and log.
    default_screening: ScreeningMode = "hard"
    screening: dict[GateName, ScreeningMode] = Field(default_factory=dict)
    health_code_required: bool = False
    # None: the policy does not ask for a nucleic-acid test.
    test_max_age_hours: Annotated[int, Field(ge=1, le=24 * 30)] | None = None
    travel_check: bool = False
    mask_required: bool = True
    # Unsigned card numbers / typed IDs identify a person only where allowed.
    accept_plain_ids: bool = False
    # Gate -> person kinds allowed there; a gate not listed allows every kind.
    gate_kinds: dict[GateName, frozenset[str]] = Field(default_factory=dict)
    visitors_allowed: bool = True
    # One person per household per two days by default; None: no quota.
    exit_quota: ExitQuota | None = Field(default_factory=ExitQuota)
    zones: dict[ZoneName, Zone] = Field(default_factory=dict)
    # Gates closed by the policy itself (an epidemic response level), besides
    # the lockdowns the security office orders one gate at a time.
    closed_gates: frozenset[GateName] = frozenset()
    # The epidemic response level this policy was switched to, if any.
    level: LevelName | None = None
    # The campus's wall clock, for zone opening hours.
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "Asia/Shanghai"

    @model_validator(mode="after")
    def _range_is_sane(self) -> Policy:
        if not self.plausible_min < self.threshold < self.plausible_max:
            raise ValueError("plausible range must contain the fever threshold")
        seen: dict[str, str] = {}
        for name, zone in self.zones.items():
            for gate in zone.gates:
                if gate in seen:
                    raise ValueError(f"gate {gate} is in zones {seen[gate]} and {name}")
                seen[gate] = name
        return self

    def screening_for(self, gate: str) -> ScreeningMode:
        return self.screening.get(gate, self.default_screening)

    def zone_of(self, gate: str) -> Zone | None:
        return next((zone for zone in self.zones.values() if gate in zone.gates), None)

    def exit_quota_for(self, gate: str) -> ExitQuota | None:
        """The quota an ``out`` passage at ``gate`` is held to (its zone's, else the site's)."""
        zone = self.zone_of(gate)
        if zone is not None and zone.exit_quota is not None:
            return zone.exit_quota
        return self.exit_quota

    def longest_exit_window_hours(self) -> int:
        quotas = [self.exit_quota, *(z.exit_quota for z in self.zones.values())]
        return max((q.window_hours for q in quotas if q is not None), default=0)
