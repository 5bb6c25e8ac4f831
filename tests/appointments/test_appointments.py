"""Visitor appointments: request, approval by the host unit's approver, the code at the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.codes import KeyRing, Verifier, issue_code
from kernel.errors import ConfigError, Refused
from schemas.policy import Policy
from services.appointments import (
    AppointmentRequest,
    add_approver,
    approve,
    cancel,
    get_appointment,
    list_appointments,
    refuse,
    request_appointment,
)
from services.central.processor import BatchProcessor
from services.cli.main import main
from services.storage.models import AppointmentRow, AuditLogRow, EntryRow
from tests.fixtures.admin import HASHER, SITE, decide_batch, make_processor
from tests.fixtures.campus import Campus
from tests.fixtures.passages import passage
from tests.fixtures.roster import GOOD

# These tests read the English words of the CLI and files (the default is zh-CN).
pytestmark = pytest.mark.usefixtures("english_site")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def request(**changes: object) -> AppointmentRequest:
    fields: dict[str, object] = {
        "site": SITE,
        "visitor_name": "Zhou Fang",
        "phone": "13812345678",
        "id_number": SecretStr(GOOD[0]),
        "host_unit": "CS",
        "purpose": "thesis defence committee",
        "gates": ["north-1"],
        "valid_from": NOW,
        "valid_until": NOW + timedelta(hours=3),
    }
    fields.update(changes)
    return AppointmentRequest.model_validate(fields)


def new_appointment(engine: Engine, **changes: object) -> str:
    with Session(engine) as session, session.begin():
        add_approver(session=session, unit="CS", approver="prof-wang", by="admin", now=NOW)
        made = request_appointment(
            session=session, request=request(**changes), hasher=HASHER, by="secretary", now=NOW
        )
    return made.appointment_id


def approved_code(engine: Engine, campus: Campus, **changes: object) -> tuple[str, str]:
    appointment_id = new_appointment(engine, **changes)
    with Session(engine) as session, session.begin():
        approval = approve(
            session=session, appointment_id=appointment_id, by="prof-wang", now=NOW, key=campus.key
        )
    return appointment_id, approval.code


def test_only_the_host_units_approver_decides_and_is_recorded(
    engine: Engine, campus: Campus
) -> None:
    appointment_id = new_appointment(engine)
    with Session(engine) as session, session.begin():
        with pytest.raises(Refused, match="not an approver of 'CS'"):
            approve(
                session=session,
                appointment_id=appointment_id,
                by="secretary",
                now=NOW,
                key=campus.key,
            )
        approval = approve(
            session=session,
            appointment_id=appointment_id,
            by="prof-wang",
            now=NOW,
            key=campus.key,
            note="known colleague",
        )
        with pytest.raises(Refused, match="approved, not awaiting"):
            refuse(
                session=session,
                appointment_id=appointment_id,
                by="prof-wang",
                now=NOW,
                reason="changed my mind",
            )
    shown = approval.appointment
    assert (shown.status, shown.decided_by, shown.decided_at) == ("approved", "prof-wang", NOW)
    claims = Verifier(KeyRing.load(campus.keys_dir)).verify(approval.code, NOW)
    assert (claims.typ, claims.sub, claims.once) == ("visitor", appointment_id, False)
    assert claims.exp == NOW + timedelta(hours=3)
    with Session(engine) as session:
        row = session.get(AppointmentRow, appointment_id)
        assert row is not None
        assert row.code_jti == claims.jti
        assert GOOD[0] not in str(vars(row))  # the ID number is only a hash and last four
        assert row.id_last4 == GOOD[0][-4:]
        actions = list(session.scalars(select(AuditLogRow.action).order_by(AuditLogRow.id)))
        assert actions[-3:] == [
            "appointment.approver_add",
            "appointment.request",
            "appointment.approve",
        ]
        masked = get_appointment(session=session, appointment_id=appointment_id, role="report")
        assert (masked.visitor_name, masked.phone) == ("Z*** F***", "138****5678")


def test_bad_requests_are_refused(engine: Engine) -> None:
    with Session(engine) as session:
        for changes, message in [
            ({"id_number": SecretStr("110105194912310021")}, "check digit"),
            ({"valid_until": NOW - timedelta(hours=1)}, "ends before it starts"),
            (
                {"valid_from": NOW - timedelta(days=2), "valid_until": NOW - timedelta(days=1)},
                "already over",
            ),
            ({"valid_until": NOW + timedelta(days=8)}, "at most 7 days"),
            ({"phone": "call me"}, "bad phone"),
        ]:
            with pytest.raises(ConfigError, match=message):
                request_appointment(
                    session=session, request=request(**changes), hasher=HASHER, by="x", now=NOW
                )


def test_approved_visitor_admitted_at_their_gate_and_time_only(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    appointment_id, code = approved_code(engine, campus, valid_from=NOW + timedelta(minutes=30))
    (early,) = decide_batch(processor, [passage(SITE, code, ts=NOW)], NOW)
    assert (early.decision, early.reasons) == ("deny", ["not_whitelisted"])
    # The processor decides at its own "now": decide the in-window passages then.
    on_time, wrong_gate, leaving = decide_batch(
        processor,
        [
            passage(SITE, code, ts=NOW + timedelta(hours=1)),
            passage(SITE, code, gate="south-2", ts=NOW + timedelta(hours=1)),
            passage(SITE, code, direction="out", ts=NOW + timedelta(hours=2)),
        ],
        NOW + timedelta(hours=1),
    )
    assert (on_time.decision, on_time.reasons) == ("admit", [])
    assert on_time.person is not None
    assert (on_time.person.id, on_time.person.name, on_time.person.kind) == (
        appointment_id,
        "Zhou Fang",
        "visitor",
    )
    assert on_time.person.masked_id.endswith(GOOD[0][-4:])
    assert (wrong_gate.decision, wrong_gate.reasons) == ("deny", ["not_allowed_here"])
    assert leaving.decision == "admit"
    (late,) = decide_batch(processor, [passage(SITE, code)], NOW + timedelta(hours=3, seconds=1))
    assert late.decision == "deny"
    assert "expired_code" in late.reasons
    with Session(engine) as session:
        rows = session.scalars(select(EntryRow).where(EntryRow.grant_id == appointment_id)).all()
    assert len(rows) == 4  # the late one's code had expired: it named no appointment
    assert {r.kind for r in rows} == {"visitor"}
    assert all(r.person_id is None for r in rows)


def test_refused_and_cancelled_visitors_are_denied(
    engine: Engine, campus: Campus, processor: BatchProcessor
) -> None:
    refused_id = new_appointment(engine)
    with Session(engine) as session, session.begin():
        with pytest.raises(ConfigError, match="needs a reason"):
            refuse(session=session, appointment_id=refused_id, by="prof-wang", now=NOW, reason="")
        shown = refuse(
            session=session,
            appointment_id=refused_id,
            by="prof-wang",
            now=NOW,
            reason="no host available that day",
        )
    assert (shown.status, shown.decided_by) == ("refused", "prof-wang")
    # No code was issued; one signed by hand for the refused appointment is still refused.
    forged = issue_code(
        campus.key,
        subject=refused_id,
        typ="visitor",
        ttl=timedelta(hours=1),
        now=NOW,
        site="main",
    )
    cancelled_id, code = approved_code(engine, campus)
    with Session(engine) as session, session.begin():
        cancel(
            session=session,
            appointment_id=cancelled_id,
            by="prof-wang",
            now=NOW,
            reason="visit moved",
        )
    denied = decide_batch(
        processor,
        [passage(SITE, forged, ts=NOW), passage(SITE, code, ts=NOW)],
        NOW + timedelta(minutes=1),
    )
    assert [(d.decision, d.reasons) for d in denied] == [("deny", ["not_whitelisted"])] * 2


def test_visitor_ban_and_one_time_codes(engine: Engine, campus: Campus) -> None:
    _, code = approved_code(engine, campus, once=True)
    banned = make_processor(engine, campus, Policy(site=SITE, version=2, visitors_allowed=False))
    (decision,) = decide_batch(banned, [passage(SITE, code, ts=NOW)], NOW)
    assert (decision.decision, decision.reasons) == ("deny", ["not_allowed_here"])
    normal = make_processor(engine, campus)
    first, leave, again = decide_batch(
        normal,
        [
            passage(SITE, code, ts=NOW),
            passage(SITE, code, direction="out", ts=NOW),
            passage(SITE, code, ts=NOW),
        ],
        NOW,
    )
    assert first.decision == "admit"
    assert leave.decision == "admit"  # a one-time code is spent by entering, not by leaving
    assert (again.decision, again.reasons) == ("deny", ["code_used", "not_whitelisted"])


def test_listing_by_day_and_status(engine: Engine, campus: Campus) -> None:
    approved_code(engine, campus)
    new_appointment(
        engine, valid_from=NOW + timedelta(days=2), valid_until=NOW + timedelta(days=2, hours=1)
    )
    with Session(engine) as session:
        today = list_appointments(session=session, day=NOW.date())
        pending = list_appointments(session=session, status=["requested"])
    assert [a.status for a in today] == ["approved"]
    assert len(pending) == 1


def test_cli_request_approve_png_and_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/a.db"
    keys = tmp_path / "keys"
    assert main(["keys", "new", "--dir", str(keys)]) == 0
    start = datetime.now(UTC).replace(microsecond=0)
    until = start + timedelta(hours=2)
    base = ["--db", url, "--demo-key"]
    assert (
        main(["appointment", "approver", "add", "--unit", "CS", "--approver", "wang", "--db", url])
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == "CS: wang"
    args = [
        "appointment",
        "request",
        "--visitor",
        "Zhou Fang",
        "--phone",
        "13812345678",
        "--id-number",
        GOOD[0],
        "--unit",
        "CS",
        "--purpose",
        "defence",
        "--gate",
        "north-1",
        "--from",
        start.isoformat(),
        "--until",
        until.isoformat(),
        "--by",
        "sec",
        *base,
    ]
    assert main(args) == 0
    appointment_id = capsys.readouterr().out.split()[0]
    assert appointment_id.startswith("A-")
    png = tmp_path / "visitor.png"
    approve_args = [
        "appointment",
        "approve",
        appointment_id,
        "--keys",
        str(keys),
        "--db",
        url,
        "--png",
        str(png),
    ]
    assert main([*approve_args, "--by", "sec"]) == 2
    assert "not an approver" in capsys.readouterr().err
    assert main([*approve_args, "--by", "wang"]) == 0
    out = capsys.readouterr().out
    assert "approved by wang" in out
    assert png.read_bytes().startswith(b"\x89PNG")
    assert main(["appointment", "list", "--db", url, "--role", "report"]) == 0
    listing = capsys.readouterr().out
    assert appointment_id in listing
    assert "Z*** F***" in listing
    assert main(args) == 0
    second = capsys.readouterr().out.split()[0]
    assert (
        main(["appointment", "refuse", second, "--reason", "full", "--by", "wang", "--db", url])
        == 0
    )
    assert "refused by wang" in capsys.readouterr().out
