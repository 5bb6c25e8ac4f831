"""A site's screening policy: the rules' tuning values, versioned.

The policy travels to gates inside the whitelist snapshot, so it is a schema
model; every Decision records the ``version`` it was taken under.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.names import GateName, SiteName

DEFAULT_THRESHOLD = Decimal("37.3")
DEFAULT_PLAUSIBLE_MIN = Decimal("34.0")
DEFAULT_PLAUSIBLE_MAX = Decimal("43.0")

ScreeningMode = Literal["hard", "soft"]


class Policy(BaseModel):
    """Everything :func:`services.decision.decide` needs besides the facts."""

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

    @model_validator(mode="after")
    def _range_is_sane(self) -> Policy:
        if not self.plausible_min < self.threshold < self.plausible_max:
            raise ValueError("plausible range must contain the fever threshold")
        return self

    def screening_for(self, gate: str) -> ScreeningMode:
        return self.screening.get(gate, self.default_screening)
