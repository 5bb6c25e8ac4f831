"""The people who walk up to the demo's gates, and what each of them should get."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from services.demo.people import Person

# scenario name, weight, expected outcome
SCENARIOS: tuple[tuple[str, int, str], ...] = (
    ("regular", 70, "admit"),
    ("fever", 6, "isolate"),
    ("unknown person", 6, "deny"),
    ("expired code", 4, "deny"),
    ("forged code", 3, "deny"),
    ("no temperature", 5, "recheck"),
    ("no mask", 4, "deny"),
    ("leaving", 2, "admit"),
)

CodeIssuer = Callable[[str, timedelta, datetime], str]


@dataclass(frozen=True)
class Visit:
    scenario: str
    expected: str
    passage: Passage
    who: str


def next_visit(
    rng: random.Random,
    *,
    site: str,
    gate: str,
    people: list[Person],
    issue: CodeIssuer,
    now: datetime,
) -> Visit:
    names = [s[0] for s in SCENARIOS]
    weights = [s[1] for s in SCENARIOS]
    scenario = rng.choices(names, weights)[0]
    expected = next(s[2] for s in SCENARIOS if s[0] == scenario)
    person = rng.choice(people)
    if scenario == "leaving":
        # Family-area households are held to the exit quota (one exit per two
        # days): the demo's leavers are students and staff, who always may go.
        person = rng.choice([p for p in people if not p.household] or people)
    who = f"{person.name} ({person.kind})"
    code = issue(person.person_id, timedelta(hours=12), now)
    celsius: Decimal | None = Decimal(f"{rng.gauss(36.5, 0.25):.1f}").min(Decimal("37.1"))
    mask: bool | None = True
    direction = "in"
    if scenario == "fever":
        celsius = Decimal(f"{rng.uniform(37.3, 39.4):.1f}")
    elif scenario == "unknown person":
        code = issue(f"V{rng.randrange(100000):05d}", timedelta(hours=1), now)
        who = "a stranger"
    elif scenario == "expired code":
        code = issue(person.person_id, timedelta(minutes=10), now - timedelta(hours=1))
    elif scenario == "forged code":
        head, _, sig = code.rpartition(".")
        code = f"{head}.{sig[::-1]}"
    elif scenario == "no temperature":
        celsius = None
    elif scenario == "no mask":
        mask = False
    elif scenario == "leaving":
        direction = "out"
    temperature = (
        None if celsius is None else Temperature(celsius=celsius, sensor="ir-0", measured_at=now)
    )
    passage = Passage(
        event_id=uuid7(int(now.timestamp() * 1000)),
        site=site,
        gate=gate,
        direction=direction,
        ts=now,
        credentials=[Credential(kind="qr", data=code)],
        temperature=temperature,
        mask=mask,
    )
    return Visit(scenario=scenario, expected=expected, passage=passage, who=who)
