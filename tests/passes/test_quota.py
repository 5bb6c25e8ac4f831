"""The household exit quota: one person per household per two days, configurable per zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from schemas.messages import Passage
from schemas.policy import ExitQuota, Policy, Zone
from services.cli.main import main
from services.demo.people import Person
from services.passes import household_quota
from services.storage.models import HouseholdExitRow
from tests.fixtures.admin import SITE, decide_batch, make_processor
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def household_pair(campus: Campus) -> tuple[Person, Person, str]:
    """Two members of one family-area household from the synthetic campus."""
    by_household: dict[str, list[Person]] = {}
    for person in campus.people:
        if person.household:
            by_household.setdefault(person.household, []).append(person)
    household, members = next((h, m) for h, m in by_household.items() if len(m) >= 2)
    return members[0], members[1], household


def out(campus: Campus, person: Person, at: datetime, gate: str = "east-1") -> Passage:
    return passage(SITE, campus.code(person.person_id, now=at), gate=gate, direction="out", ts=at)


def test_second_member_denied_within_two_days_and_admitted_after(
    engine: Engine, campus: Campus
) -> None:
    processor = make_processor(engine, campus)
    mother, son, household = household_pair(campus)
    (first,) = decide_batch(processor, [out(campus, mother, NOW)], NOW)
    assert (first.decision, first.reasons) == ("admit", [])
    a_day_later = NOW + timedelta(days=1)
    (second,) = decide_batch(processor, [out(campus, son, a_day_later)], a_day_later)
    assert (second.decision, second.reasons) == ("deny", ["quota_exceeded"])
    # Coming back in is never held to the quota.
    (back,) = decide_batch(
        processor,
        [
            passage(
                SITE, campus.code(mother.person_id, now=a_day_later), gate="east-1", ts=a_day_later
            )
        ],
        a_day_later,
    )
    assert back.decision == "admit"
    with Session(engine) as session:
        status = household_quota(
            session=session, household=household, policy=processor.policy, now=a_day_later
        )
    assert (status.remaining, status.next_exit_at) == (0, NOW + timedelta(hours=48))
    after = NOW + timedelta(hours=48, seconds=1)
    (third,) = decide_batch(processor, [out(campus, son, after)], after)
    assert (third.decision, third.reasons) == ("admit", [])
    with Session(engine) as session:
        exits = session.scalar(select(func.count()).select_from(HouseholdExitRow))
    assert exits == 2  # the denied exit is not counted


def test_two_members_in_one_batch_and_people_without_household(
    engine: Engine, campus: Campus
) -> None:
    processor = make_processor(engine, campus)
    mother, son, _ = household_pair(campus)
    student = next(p for p in campus.people if not p.household)
    first, second, free, free_again = decide_batch(
        processor,
        [
            out(campus, mother, NOW),
            out(campus, son, NOW),
            out(campus, student, NOW),
            out(campus, student, NOW),
        ],
        NOW,
    )
    assert first.decision == "admit"
    assert (second.decision, second.reasons) == ("deny", ["quota_exceeded"])
    assert (free.decision, free_again.decision) == ("admit", "admit")


def test_quota_per_zone_and_switched_off(engine: Engine, campus: Campus) -> None:
    mother, son, _ = household_pair(campus)
    family_gate = Zone(gates=frozenset({"east-1"}), exit_quota=ExitQuota(exits=2, window_hours=24))
    policy = Policy(site=SITE, version=2, zones={"family-area": family_gate})
    processor = make_processor(engine, campus, policy)
    results = decide_batch(
        processor,
        [
            out(campus, mother, NOW),
            out(campus, son, NOW),
            out(campus, son, NOW),
        ],
        NOW,
    )
    assert [d.decision for d in results] == ["admit", "admit", "deny"]
    # Elsewhere the site's quota (one per two days) still holds, counting every exit.
    (main_gate,) = decide_batch(processor, [out(campus, mother, NOW, gate="north-1")], NOW)
    assert main_gate.reasons == ["quota_exceeded"]
    relaxed = make_processor(engine, campus, Policy(site=SITE, version=3, exit_quota=None))
    (free,) = decide_batch(relaxed, [out(campus, son, NOW, gate="north-1")], NOW)
    assert free.decision == "admit"


def test_cli_quota(
    engine: Engine, db_url: str, campus: Campus, capsys: pytest.CaptureFixture[str]
) -> None:
    mother, _son, household = household_pair(campus)
    now = datetime.now(UTC)
    decide_batch(make_processor(engine, campus), [out(campus, mother, now)], now)
    assert main(["pass", "quota", household, "--db", db_url]) == 0
    text = capsys.readouterr().out
    assert f"household {household}: 1 exit(s) in the last 48 h, quota 1; 0 left" in text
    assert mother.person_id in text
    assert "next exit allowed from" in text
