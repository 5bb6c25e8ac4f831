"""Key retirement asks the register of issued codes first (issue 15, Build 5).

The bug: ``keys retire`` silently retired the key behind 365-day ID codes issued
minutes before, and every card printed with it stopped working at once.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.snapshot.local import snapshot_verifier
from kernel.codes import KeyRing, Verifier, load_signing_key
from kernel.errors import InvalidCode
from schemas.policy import Policy
from services.cli.main import main as campusgate
from services.demo.people import cn_id_number
from services.identity import DEMO_KEY, IdHasher
from services.passes.service import PassRequest, issue_pass
from services.snapshot.build import read_site, snapshot_for
from services.storage.engine import make_engine
from services.storage.enrol_models import IssuedCodeRow
from services.storage.models import AuditLogRow
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage

pytestmark = [pytest.mark.usefixtures("english_site"), pytest.mark.mqtt]
VISITOR_ID = SecretStr(cn_id_number(random.Random(7), date(1990, 5, 17)))


def issue_card(campus: Campus, db: str, site: str, person: str, capsys: pytest.CaptureFixture[str]
               ) -> str:  # fmt: skip
    """A 365-day ID code through the real command, as an administrator prints one."""
    assert campusgate(["code", "issue", "--db", db, "--keys", str(campus.keys_dir),
                       "--site", site, "--person", person, "--type", "id", "--ttl", "365d",
                       "--by", "ops"]) == 0  # fmt: skip
    return capsys.readouterr().out.strip()


def audit(db: str, *kids: str) -> list[AuditLogRow]:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(AuditLogRow).where(
                AuditLogRow.action == "key.retire", AuditLogRow.target.in_(kids)).order_by(
                AuditLogRow.id)))  # fmt: skip
    finally:
        engine.dispose()


def test_retire_refuses_while_live_codes_exist_and_force_keeps_them_verifying(
    campus: Campus, campus_db: str, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = campus.key.kid
    person = campus.people[0].person_id
    code = issue_card(campus, campus_db, site, person, capsys)
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    capsys.readouterr()
    retire = ["keys", "retire", "--db", campus_db, "--dir", str(campus.keys_dir), "--kid", old]
    # Today's bug: this retired the key and the card minutes old stopped at every gate.
    assert campusgate(retire) == 2
    err = capsys.readouterr().err
    assert "1 live code(s) (id 1)" in err
    assert f"--reissue-from {old}" in err
    assert (campus.keys_dir / f"{old}.key").exists()
    assert (campus.keys_dir / f"{old}.pub").exists()
    assert not (campus.keys_dir / f"{old}.retire").exists()
    assert audit(campus_db, old) == []
    # Forced: it signs nothing more, and verifies until its last code expires (grace).
    assert campusgate([*retire, "--force", "--by", "ops"]) == 0
    assert "grace" in capsys.readouterr().out
    assert not (campus.keys_dir / f"{old}.key").exists()
    ring = KeyRing.load(campus.keys_dir)
    claims = Verifier(ring, site=site).verify(code, datetime.now(UTC))
    assert ring.retires_at(old) == claims.exp
    [row] = audit(campus_db, old)
    params = json.loads(row.params_json)
    assert (row.target, row.actor, row.result_count) == (old, "ops", 1)
    assert params["forced"] is True
    assert params["grace_until"] is not None


def test_a_forced_retirement_keeps_the_card_working_at_central_and_offline_gate(
    campus: Campus, campus_db: str, site: str, central: object, gate: DecisionClient,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    old = campus.key.kid
    person = campus.people[1].person_id
    code = issue_card(campus, campus_db, site, person, capsys)
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    assert campusgate(["keys", "retire", "--db", campus_db, "--dir", str(campus.keys_dir),
                       "--kid", old, "--force"]) == 0  # fmt: skip
    # The central worker (it reloads the key directory) still admits the card.
    decision = gate.request(passage(site, code))
    assert decision is not None
    assert (decision.decision, decision.reasons) == ("admit", [])
    # The gate's snapshot carries the key with its retirement: admitted offline until then.
    now = datetime.now(UTC)
    engine = make_engine(campus_db)
    try:
        with Session(engine) as session:
            data = read_site(session=session, site=site, now=now)
    finally:
        engine.dispose()
    ring = KeyRing.load(campus.keys_dir)
    snap = snapshot_for(data, site=site, gate="north-1", policy=Policy(site=site),
                        keyring=ring, now=now)  # fmt: skip
    assert old in snap.keys
    offline = snapshot_verifier(snap)
    exp = offline.verify(code, now).exp
    assert offline.verify(code, exp - timedelta(days=1)).sub == person
    with pytest.raises(InvalidCode):  # after the grace the key is gone
        offline.verify(code, exp + timedelta(seconds=1))


def test_no_grace_cuts_a_leaked_key_now_and_a_key_without_live_codes_retires_freely(
    campus: Campus, campus_db: str, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = campus.key.kid
    issue_card(campus, campus_db, site, campus.people[2].person_id, capsys)
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    second = load_signing_key(campus.keys_dir).kid
    base = ["keys", "retire", "--db", campus_db, "--dir", str(campus.keys_dir)]
    assert campusgate([*base, "--kid", old, "--no-grace"]) == 2  # only with --force
    assert campusgate([*base, "--kid", old, "--force", "--no-grace"]) == 0
    assert not (campus.keys_dir / f"{old}.pub").exists()
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    assert campusgate([*base, "--kid", second]) == 0  # nothing issued with it
    rows = audit(campus_db, old, second)
    assert [json.loads(r.params_json)["forced"] for r in rows] == [True, False]


def test_every_issued_code_is_in_the_register_without_the_code(
    campus: Campus, campus_db: str, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = issue_card(campus, campus_db, site, campus.people[3].person_id, capsys)
    claims = Verifier(KeyRing.load(campus.keys_dir)).verify(code, datetime.now(UTC))
    engine = make_engine(campus_db)
    try:
        with Session(engine) as session:
            [row] = session.scalars(select(IssuedCodeRow).where(IssuedCodeRow.kid == claims.kid))
            values = [str(getattr(row, c.key)) for c in IssuedCodeRow.__table__.columns]
    finally:
        engine.dispose()
    assert (row.jti, row.person_id, row.kid, row.kind) == (claims.jti, claims.sub, claims.kid, "id")
    assert row.valid_until == claims.exp
    assert not any(code.split(".")[2] in v or code in v for v in values)


def test_retire_without_a_database_it_can_count_in_is_refused(
    campus: Campus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """No --db, no CAMPUSGATE_DB__URL and no default SQLite file: counting an empty new file
    would 'find' no live codes, so the command refuses instead."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPUSGATE_DB__URL", raising=False)
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    retire = ["keys", "retire", "--dir", str(campus.keys_dir), "--kid", campus.key.kid]
    assert campusgate(retire) == 2
    assert "--db" in capsys.readouterr().err
    assert (campus.keys_dir / f"{campus.key.kid}.pub").exists()
    assert not (tmp_path / "var").exists()


def test_a_live_pass_counts_too(
    campus: Campus, campus_db: str, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A temporary pass valid for weeks is a live code of the key like a card."""
    engine = make_engine(campus_db)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            issued = issue_pass(session=session, request=PassRequest(
                site=site, category="duty", holder_name="值班 王", id_number=VISITOR_ID,
                gates=["*"], valid_from=now, valid_until=now + timedelta(days=20)),
                hasher=IdHasher(DEMO_KEY), by="ops", now=now, key=campus.key)  # fmt: skip
    finally:
        engine.dispose()
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    capsys.readouterr()
    assert campusgate(["keys", "retire", "--db", campus_db, "--dir", str(campus.keys_dir),
                       "--kid", campus.key.kid]) == 2  # fmt: skip
    assert "(pass 1)" in capsys.readouterr().err
    ring = KeyRing.load(campus.keys_dir)
    assert Verifier(ring).verify(issued.code, now).typ == "pass"


def test_code_issue_without_a_register_it_can_reach_is_refused(
    campus: Campus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPUSGATE_DB__URL", raising=False)
    assert campusgate(["code", "issue", "--keys", str(campus.keys_dir), "--person", "S1",
                       "--type", "id"]) == 2  # fmt: skip
    captured = capsys.readouterr()
    assert "--db" in captured.err
    assert "CG1." not in captured.out  # nothing signed that the register would not know
