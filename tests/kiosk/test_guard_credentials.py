"""The guards' credentials in each gate's snapshot (issue 20): its own guards only."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import update
from sqlalchemy.orm import Session

from kernel.codes.keys import KeyRing
from schemas.policy import Policy
from schemas.snapshot import GateSnapshot, apply, diff
from services.snapshot.build import read_site, snapshot_for
from services.storage.engine import make_engine
from services.storage.web_models import WebUserRow
from tests.fixtures.web_server import PASSWORD

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def snapshots(db_url: str) -> dict[str, GateSnapshot]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            data = read_site(session=session, site="main", now=NOW)
    finally:
        engine.dispose()
    policy = Policy(site="main")
    return {
        gate: snapshot_for(
            data, site="main", gate=gate, policy=policy, keyring=KeyRing({}), now=NOW
        )
        for gate in ("north-1", "south-2", "north-2")
    }


def test_each_gate_carries_only_its_own_active_guards_as_password_hashes(users: str) -> None:
    by_gate = snapshots(users)
    assert [g.username for g in by_gate["north-1"].guards] == ["guard-n1"]
    assert [g.username for g in by_gate["south-2"].guards] == ["guard-s2"]
    assert by_gate["north-2"].guards == []  # no guard of its own: nobody signs in there
    carried = by_gate["north-1"].guards[0].password_hash
    assert carried.startswith("$argon2id$")
    assert PASSWORD not in by_gate["north-1"].model_dump_json()
    assert PasswordHasher().verify(carried, PASSWORD)


def test_a_deactivated_guard_leaves_the_snapshot_and_a_delta_says_so(users: str) -> None:
    before = snapshots(users)["north-1"]
    engine = make_engine(users)
    try:
        with Session(engine) as session, session.begin():
            session.execute(
                update(WebUserRow).where(WebUserRow.username == "guard-n1").values(active=False)
            )
    finally:
        engine.dispose()
    after = snapshots(users)["north-1"]
    assert after.guards == []
    assert apply(before, diff(before, after)).guards == []
