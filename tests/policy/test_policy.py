"""Policy versions with who and why, epidemic response levels in one action, zones and hours."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.decision import Facts, PersonFacts, decide
from kernel.errors import ConfigError, NotFound, Refused
from schemas.policy import Policy, Zone
from services.audit.explain import explain
from services.broker_admin.local_broker import LocalBroker
from services.central.worker import CentralWorker
from services.cli.main import main
from services.policy.service import (
    ResponseLevel,
    change_policy,
    current_version,
    define_level,
    history,
    list_levels,
    switch_level,
)
from services.policy.store import current_policy
from tests.fixtures.admin import SITE, decide_batch, make_processor
from tests.fixtures.campus import Campus
from tests.fixtures.central import StartCentral
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_every_change_is_a_version_with_who_and_why(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        first = change_policy(
            session=session,
            site=SITE,
            changes={"threshold": "37.5"},
            by="dr-chen",
            reason="clinic advice",
            now=NOW,
        )
        second = change_policy(
            session=session,
            site=SITE,
            changes={"screening.north-1": "soft", "health_code_required": True},
            by="office",
            reason="health codes from Monday",
            now=NOW,
        )
        with pytest.raises(ConfigError, match="say why"):
            change_policy(
                session=session,
                site=SITE,
                changes={"threshold": "37.3"},
                by="x",
                reason=" ",
                now=NOW,
            )
        with pytest.raises(ConfigError, match="unknown policy setting"):
            change_policy(
                session=session, site=SITE, changes={"fever": 1}, by="x", reason="r", now=NOW
            )
        with pytest.raises(ConfigError, match="threshold"):
            change_policy(
                session=session, site=SITE, changes={"threshold": "41"}, by="x", reason="r", now=NOW
            )
        with pytest.raises(Refused, match="changed meanwhile"):
            change_policy(
                session=session,
                site=SITE,
                changes={"mask_required": False},
                by="x",
                reason="r",
                now=NOW,
                base_version=1,
            )
    assert (first.version, second.version) == (1, 2)
    assert second.policy.threshold == Decimal("37.5")  # the first change is kept
    assert second.policy.screening_for("north-1") == "soft"
    with Session(engine) as session:
        versions = history(session=session, site=SITE)
    assert [(v.version, v.changed_by, v.reason) for v in versions] == [
        (1, "dr-chen", "clinic advice"),
        (2, "office", "health codes from Monday"),
    ]


def test_switching_a_level_changes_everything_it_names_in_one_version(
    engine: Engine, campus: Campus
) -> None:
    with Session(engine) as session, session.begin():
        define_level(
            session=session,
            site=SITE,
            level=ResponseLevel(
                name="level-1",
                description="一级响应",
                threshold=Decimal("37.2"),
                exit_quota=None,
                visitors_allowed=False,
                closed_gates=frozenset({"south-2"}),
            ),
            by="office",
            now=NOW,
        )
        names = [lvl.name for lvl in list_levels(session=session, site=SITE)]
        switched = switch_level(
            session=session,
            site=SITE,
            name="level-1",
            by="president",
            reason="city raised its response level",
            now=NOW,
        )
        with pytest.raises(NotFound, match="no response level 'level-9'"):
            switch_level(session=session, site=SITE, name="level-9", by="x", reason="r", now=NOW)
    assert names == ["level-1", "normal", "elevated", "lockdown"]
    policy = switched.policy
    assert (switched.version, policy.level, policy.threshold) == (1, "level-1", Decimal("37.2"))
    assert (policy.visitors_allowed, policy.closed_gates, policy.exit_quota) == (
        False,
        frozenset({"south-2"}),
        None,
    )
    processor = make_processor(engine, campus, policy)
    person = campus.people[0].person_id
    closed, warm, open_gate = decide_batch(
        processor,
        [
            passage(SITE, campus.code(person, now=NOW), gate="south-2", ts=NOW),
            passage(SITE, campus.code(person, now=NOW), celsius="37.2", ts=NOW),
            passage(SITE, campus.code(campus.people[1].person_id, now=NOW), ts=NOW),
        ],
        NOW,
    )
    assert (closed.decision, closed.reasons) == ("deny", ["gate_closed"])
    assert (warm.decision, warm.reasons) == ("isolate", ["fever"])  # 37.2 >= the level's 37.2
    assert (open_gate.decision, open_gate.policy_version) == ("admit", 1)
    with Session(engine) as session, session.begin():
        why = explain(
            session=session, event_id=str(warm.event_id), actor="a", role="auditor", now=NOW
        )
    assert why.policy["level"] == "level-1"
    assert why.policy["threshold"] == "37.2"
    assert "37.2 C" in why.reasons[0].why


def test_lockdown_then_back_to_normal(engine: Engine, campus: Campus) -> None:
    with Session(engine) as session, session.begin():
        locked = switch_level(
            session=session, site=SITE, name="lockdown", by="p", reason="r", now=NOW
        )
        normal = switch_level(
            session=session,
            site=SITE,
            name="normal",
            by="p",
            reason="over",
            now=NOW + timedelta(days=1),
        )
        assert current_policy(session=session, site=SITE).version == 2
    assert (locked.policy.visitors_allowed, locked.policy.health_code_required) == (False, True)
    assert locked.policy.exit_quota is not None
    assert normal.policy.exit_quota is None
    assert normal.policy.health_code_required is True  # "normal" leaves health codes as they were
    assert normal.policy.visitors_allowed


def test_zones_admit_kinds_at_their_hours() -> None:
    family_area = Zone(
        gates=frozenset({"east-1"}),
        kinds=frozenset({"family", "staff"}),
        open_from=time(6, 0),
        open_until=time(22, 0),
    )
    night_market = Zone(gates=frozenset({"west-9"}), open_from=time(22, 0), open_until=time(2, 0))
    policy = Policy(site=SITE, zones={"family-area": family_area, "market": night_market})
    student = PersonFacts(person_id="S1", name="s", kind="student", masked_id="*")
    resident = PersonFacts(person_id="F1", name="f", kind="family", masked_id="*")

    def outcome(person: PersonFacts, gate: str, hour_local: int) -> list[str]:
        when = datetime(2026, 11, 24, hour_local, 30, tzinfo=UTC) - timedelta(hours=8)
        p = passage(SITE, None, gate=gate, ts=when)
        return decide(p, Facts(now=when, person=person), policy).reasons

    assert outcome(resident, "east-1", 10) == []
    assert outcome(student, "east-1", 10) == ["not_allowed_here"]  # wrong kind for the zone
    assert outcome(resident, "east-1", 23) == ["not_allowed_here"]  # after hours
    assert outcome(student, "west-9", 23) == []
    assert outcome(student, "west-9", 1) == []  # the window wraps past midnight
    assert outcome(student, "west-9", 12) == ["not_allowed_here"]
    assert outcome(student, "north-1", 3) == []  # no zone: no hours


@pytest.fixture
def worker(start_central: StartCentral) -> CentralWorker:
    return start_central(policy_refresh_s=0.2)


@pytest.mark.mqtt
def test_the_running_service_adopts_a_switched_level_and_records_its_version(
    worker: CentralWorker, broker: LocalBroker, campus: Campus, site: str, engine: Engine
) -> None:
    with Session(engine) as session:
        seeded = current_version(session=session, site=site)
    assert seeded is not None
    assert (seeded.version, seeded.changed_by) == (0, "central")  # the first policy is stored
    gate = DecisionClient(broker.url, site=site).connect()
    try:
        before = gate.request(passage(site, campus.code(campus.people[0].person_id), gate="east-1"))
        assert before is not None
        assert (before.decision, before.policy_version) == ("admit", 0)
        with Session(engine) as session, session.begin():
            define_level(
                session=session,
                site=site,
                level=ResponseLevel(
                    name="seal-east",
                    closed_gates=frozenset({"east-1"}),
                ),
                by="office",
                now=datetime.now(UTC),
            )
            switch_level(
                session=session,
                site=site,
                name="seal-east",
                by="office",
                reason="outbreak in the family area",
                now=datetime.now(UTC),
            )
        deadline = clock.monotonic() + 10
        while worker.processor.policy.version != 1 and clock.monotonic() < deadline:
            clock.sleep(0.05)
        after = gate.request(passage(site, campus.code(campus.people[0].person_id), gate="east-1"))
    finally:
        gate.close()
    assert after is not None
    assert (after.decision, after.reasons, after.policy_version) == ("deny", ["gate_closed"], 1)


def test_cli_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", f"sqlite:///{tmp_path}/p.db"]
    assert main(["policy", "show", *db]) == 0
    assert "no stored policy; the defaults apply" in capsys.readouterr().out
    assert (
        main(
            [
                "policy",
                "set",
                "threshold=37.5",
                "screening.north-1=soft",
                "--reason",
                "advice",
                "--by",
                "chen",
                *db,
            ]
        )
        == 0
    )
    assert "policy version 1 saved" in capsys.readouterr().out
    assert (
        main(
            [
                "policy",
                "level",
                "define",
                "level-2",
                "--exit-quota",
                "1/48",
                "--visitors",
                "ban",
                "--close",
                "west-9",
                "--health-code",
                "required",
                *db,
            ]
        )
        == 0
    )
    capsys.readouterr()
    # The hand-set 37.5 C threshold is not replaced silently: refused, named, then confirmed.
    assert main(["policy", "level", "switch", "level-2", "--reason", "二级响应", *db]) == 2
    refused = capsys.readouterr().err
    assert "threshold: hand-set 37.5, level level-2 sets 37.3" in refused
    assert "--replace-hand-set" in refused
    switch = ["policy", "level", "switch", "level-2", "--reason", "二级响应", "--replace-hand-set"]
    assert main([*switch, *db]) == 0
    assert "switched to level level-2: policy version 2" in capsys.readouterr().out
    assert main(["policy", "level", "list", *db]) == 0
    assert "* level-2" in capsys.readouterr().out
    assert main(["policy", "history", *db]) == 0
    out = capsys.readouterr().out
    assert "v1" in out
    assert "chen" in out
    assert "visitors_allowed True->False" in out
    assert main(["policy", "diff", "1", "2", *db]) == 0
    assert "closed_gates: [] -> ['west-9']" in capsys.readouterr().out
    policy_file = tmp_path / "p.toml"
    policy_file.write_text('threshold = "37.3"\nmask_required = false\n', encoding="utf-8")
    assert main(["policy", "import", str(policy_file), "--reason", "new rules", *db]) == 0
    assert main(["policy", "show", "--version", "3", *db]) == 0
    assert '"mask_required": false' in capsys.readouterr().out
    assert main(["policy", "set", "threshold=99", "--reason", "typo", *db]) == 2
