"""A synthetic campus: people with well-formed (checksummed) ID numbers, as a roster CSV."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
    "Ma",
    "Luo",
]
GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Li",
    "Qiang",
    "Lei",
    "Jun",
    "Yang",
    "Yong",
    "Yan",
    "Jie",
    "Juan",
    "Tao",
    "Ming",
    "Chao",
    "Xiu",
    "Xia",
    "Hui",
]
ROSTER_HEADER = "person_id,name,kind,id_number,unit,household,valid_from,valid_until,gates"


def cn_id_number(rng: random.Random, born: date) -> str:
    """An 18-character resident ID number with a correct ISO 7064 MOD 11-2 check digit."""
    body = f"110108{born:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    kind: str
    id_number: str
    unit: str
    household: str


def synthetic_people(count: int, *, seed: int = 1) -> list[Person]:
    """Students, staff and family-area residents (households of two or three)."""
    rng = random.Random(seed)
    people: list[Person] = []
    for index in range(count):
        roll = index % 10
        kind = "student" if roll < 6 else "staff" if roll < 8 else "family"
        age = rng.randrange(18, 24) if kind == "student" else rng.randrange(25, 70)
        born = date(2026, 1, 1) - timedelta(days=365 * age + rng.randrange(365))
        prefix = {"student": "S", "staff": "T", "family": "F"}[kind]
        people.append(
            Person(
                person_id=f"{prefix}{index:05d}",
                name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                kind=kind,
                id_number=cn_id_number(rng, born),
                unit="Family Area" if kind == "family" else rng.choice(["CS", "Math", "Physics"]),
                household=f"H{index // 3:04d}" if kind == "family" else "",
            )
        )
    return people


def roster_csv(people: list[Person]) -> str:
    lines = [ROSTER_HEADER]
    for p in people:
        lines.append(f"{p.person_id},{p.name},{p.kind},{p.id_number},{p.unit},{p.household},,,*")
    return "\n".join(lines) + "\n"
