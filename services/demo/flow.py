"""The people who walk up to the demo's gates, and what each of them should get.

A :class:`Flow` draws the next person with a scenario (a regular, a fever, an
unknown person, an expired or forged code, no temperature, no mask, a visitor
with an approved appointment, an unknown febrile person who scans nothing,
someone leaving, a family-area household going over its exit quota) and knows
the decision the central service must take.  It remembers who has an open
isolation case and which households went out, so every expectation is exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from services.demo.people import Person

# scenario name, weight, expected outcome (at an entrance unless it says leaving)
SCENARIOS: tuple[tuple[str, int, str], ...] = (
    ("regular", 60, "admit"),
    ("fever", 5, "isolate"),
    ("unknown person", 5, "deny"),
    ("expired code", 4, "deny"),
    ("forged code", 3, "deny"),
    ("no temperature", 3, "recheck"),
    ("no mask", 4, "deny"),
    ("visitor", 6, "admit"),
    ("unscanned fever", 2, "isolate"),
    ("leaving", 5, "admit"),
    ("household leaving", 5, "admit"),
)
LEAVING = frozenset({"leaving", "household leaving"})

CodeIssuer = Callable[[str, str, timedelta, datetime], str]
"""issue(subject, typ, ttl, issued_at) -> a signed code."""


@dataclass(frozen=True)
class Walk:
    scenario: str
    expected: str
    who: str
    code: str | None
    celsius: Decimal | None
    no_mask: bool = False
    leaving: bool = False


@dataclass
class Flow:
    people: list[Person]
    visitors: list[tuple[str, str]]  # (visitor name, the code their approval issued)
    issue: CodeIssuer
    rng: random.Random
    isolated: set[str] = field(default_factory=set)
    households_out: set[str] = field(default_factory=set)

    def next(self, now: datetime) -> Walk:
        names = [s[0] for s in SCENARIOS]
        weights = [s[1] for s in SCENARIOS]
        scenario = self.rng.choices(names, weights)[0]
        expected = next(s[2] for s in SCENARIOS if s[0] == scenario)
        healthy = [p for p in self.people if p.person_id not in self.isolated]
        person = self.rng.choice(healthy)
        if scenario == "leaving":
            # Students and staff may always go out; households have a quota.
            person = self.rng.choice([p for p in healthy if not p.household] or healthy)
        elif scenario == "household leaving":
            person = self.rng.choice([p for p in healthy if p.household] or healthy)
            if person.household in self.households_out:
                expected = "deny"  # one exit per household per two days
            elif person.household:
                self.households_out.add(person.household)
        who = f"{person.name} ({person.kind})"
        code: str | None = self.issue(person.person_id, "id", timedelta(hours=12), now)
        celsius: Decimal | None = Decimal(f"{min(self.rng.gauss(36.5, 0.25), 37.1):.2f}")
        no_mask = False
        if scenario == "fever":
            celsius = Decimal(f"{self.rng.uniform(37.3, 39.4):.2f}")
            self.isolated.add(person.person_id)  # an open case isolates them from now on
        elif scenario == "unknown person":
            code = self.issue(f"V{self.rng.randrange(100000):05d}", "id", timedelta(hours=1), now)
            who = "a stranger"
        elif scenario == "expired code":
            code = self.issue(
                person.person_id, "id", timedelta(minutes=10), now - timedelta(hours=1)
            )
        elif scenario == "forged code":
            assert code is not None
            head, _, sig = code.rpartition(".")
            code = f"{head}.{sig[::-1]}"
        elif scenario == "no temperature":
            celsius = None
        elif scenario == "no mask":
            no_mask = True
        elif scenario == "visitor" and self.visitors:
            name, code = self.rng.choice(self.visitors)
            who = f"{name} (visitor, approved)"
        elif scenario == "unscanned fever":
            code, who = None, "an unknown febrile person who shows no code"
            celsius = Decimal(f"{self.rng.uniform(37.6, 39.0):.2f}")
        return Walk(scenario, expected, who, code, celsius, no_mask, scenario in LEAVING)
