"""Temporary passes by category: windows, gates, use limits, category quotas, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.errors import ConfigError, Refused
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.passes import (
    PassCategory,
    PassRequest,
    define_category,
    get_pass,
    issue_pass,
    list_categories,
    list_passes,
    revoke_pass,
)
from tests.fixtures.admin import HASHER, SITE, decide_batch
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def request(**changes: object) -> PassRequest:
    fields: dict[str, object] = {
        "site": SITE,
        "category": "medical",
        "holder_name": "Sun Li",
        "phone": "13700001234",
        "id_number": SecretStr(GOOD[2]),
        "unit": "Family Area",
        "reason": "caring for her mother in building 7",
        "gates": ["east-1"],
        "valid_from": NOW,
        "valid_until": NOW + timedelta(hours=12),
    }
    fields.update(changes)
    return PassRequest.model_validate(fields)


def issue(engine: Engine, campus: Campus, **changes: object) -> tuple[str, str]:
    with Session(engine) as session, session.begin():
        issued = issue_pass(
            session=session,
            request=request(**changes),
            hasher=HASHER,
            key=campus.key,
            by="office",
            now=NOW,
        )
    return issued.temp_pass.pass_id, issued.code


def test_builtin_categories_and_their_limits(engine: Engine, campus: Campus) -> None:
    with Session(engine) as session:
        names = {c.name: c for c in list_categories(session=session)}
    assert set(names) == {"duty", "business", "medical"}
    assert (names["medical"].max_days, names["medical"].default_uses) == (1, 2)
    with Session(engine) as session:
        with pytest.raises(Refused, match="at most 1 day"):
            issue_pass(
                session=session,
                request=request(valid_until=NOW + timedelta(days=2)),
                hasher=HASHER,
                key=campus.key,
                by="x",
                now=NOW,
            )
        with pytest.raises(ConfigError, match="no pass category 'tourism'"):
            issue_pass(
                session=session,
                request=request(category="tourism"),
                hasher=HASHER,
                key=campus.key,
                by="x",
                now=NOW,
            )


def test_site_category_with_quota_and_gates(engine: Engine, campus: Campus) -> None:
    with Session(engine) as session, session.begin():
        define_category(
            session=session,
            category=PassCategory(
                name="delivery",
                label="parcel couriers",
                max_days=1,
                max_active=2,
                gates=["south-2"],
            ),
            by="admin",
            now=NOW,
        )
    first, _ = issue(engine, campus, category="delivery", gates=["south-2"])
    issue(engine, campus, category="delivery", gates=["south-2"])
    with Session(engine) as session:
        with pytest.raises(Refused, match="quota is used up: 2 of 2"):
            issue_pass(
                session=session,
                request=request(category="delivery", gates=["south-2"]),
                hasher=HASHER,
                key=campus.key,
                by="x",
                now=NOW,
            )
        with pytest.raises(Refused, match="may open only south-2"):
            issue_pass(
                session=session,
                request=request(category="delivery", gates=["east-1"]),
                hasher=HASHER,
                key=campus.key,
                by="x",
                now=NOW,
            )
    # Revoking one frees a place in the quota.
    with Session(engine) as session, session.begin():
        revoke_pass(session=session, pass_id=first, by="admin", now=NOW, reason="lost")
    issue(engine, campus, category="delivery", gates=["south-2"])


def test_pass_admits_within_its_window_gates_and_uses(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    pass_id, code = issue(engine, campus)  # medical: two entries by default
    later = NOW + timedelta(hours=1)
    first, wrong_gate, second, leave = decide_batch(
        processor,
        [
            passage(SITE, code, gate="east-1", ts=later),
            passage(SITE, code, gate="north-1", ts=later),
            passage(SITE, code, gate="east-1", ts=later),
            passage(SITE, code, gate="east-1", direction="out", ts=later),
        ],
        later,
    )
    assert (first.decision, second.decision) == ("admit", "admit")
    assert first.person is not None
    assert (first.person.id, first.person.name, first.person.kind) == (pass_id, "Sun Li", "pass")
    assert (wrong_gate.decision, wrong_gate.reasons) == ("deny", ["not_allowed_here"])
    assert leave.decision == "admit"  # uses count entries; leaving is always possible
    (third,) = decide_batch(processor, [passage(SITE, code, gate="east-1", ts=later)], later)
    assert (third.decision, third.reasons) == ("deny", ["not_allowed_here"])
    (out_again,) = decide_batch(
        processor, [passage(SITE, code, gate="east-1", direction="out", ts=later)], later
    )
    assert out_again.decision == "admit"
    with Session(engine) as session:
        shown = get_pass(session=session, pass_id=pass_id, now=later)
    assert (shown.uses, shown.max_uses, shown.state) == (2, 2, "used_up")
    expiry = NOW + timedelta(hours=13)
    (expired,) = decide_batch(processor, [passage(SITE, code, gate="east-1", ts=expiry)], expiry)
    assert expired.decision == "deny"


def test_revoked_pass_stops_at_once(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    pass_id, code = issue(
        engine, campus, category="duty", gates=["*"], valid_until=NOW + timedelta(days=3)
    )
    soon = NOW + timedelta(minutes=1)
    (ok,) = decide_batch(processor, [passage(SITE, code, ts=soon)], soon)
    assert ok.decision == "admit"
    with Session(engine) as session, session.begin():
        revoke_pass(session=session, pass_id=pass_id, by="admin", now=NOW, reason="shift ended")
        with pytest.raises(Refused, match="already revoked"):
            revoke_pass(session=session, pass_id=pass_id, by="admin", now=NOW, reason="again")
    after = NOW + timedelta(minutes=2)
    (denied,) = decide_batch(processor, [passage(SITE, code, ts=after)], after)
    assert (denied.decision, denied.reasons) == ("deny", ["not_whitelisted"])
    with Session(engine) as session:
        assert [p.state for p in list_passes(session=session, now=NOW)] == ["revoked"]


def test_cli_category_issue_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    keys = tmp_path / "keys"
    assert main(["keys", "new", "--dir", str(keys)]) == 0
    assert (
        main(
            [
                "pass",
                "category",
                "define",
                "volunteer",
                "--label",
                "campus volunteers",
                "--max-days",
                "30",
                "--max-active",
                "50",
                "--db",
                url,
            ]
        )
        == 0
    )
    assert "volunteer   campus volunteers: max 30 day(s), 50 in force" in capsys.readouterr().out
    start = datetime.now(UTC)
    png = tmp_path / "pass.png"
    assert (
        main(
            [
                "pass",
                "issue",
                "--category",
                "volunteer",
                "--holder",
                "Lin Tao",
                "--id-number",
                GOOD[3],
                "--gate",
                "*",
                "--from",
                start.isoformat(),
                "--until",
                (start + timedelta(days=7)).isoformat(),
                "--keys",
                str(keys),
                "--png",
                str(png),
                "--db",
                url,
                "--demo-key",
            ]
        )
        == 0
    )
    pass_id = capsys.readouterr().out.split()[0]
    assert pass_id.startswith("P-")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert main(["pass", "list", "--db", url, "--role", "report"]) == 0
    assert "L** T**" in capsys.readouterr().out
    assert main(["pass", "revoke", pass_id, "--reason", "left", "--db", url]) == 0
    assert main(["pass", "list", "--state", "revoked", "--db", url]) == 0
    assert pass_id in capsys.readouterr().out
