"""ORM models (SQLAlchemy 2, typed). Wire schemas stay separate from these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

# The web's sign-in tables live in web_models, the enrolment tables in enrol_models, the
# roster's photos in photo_models, the visitor work's (unit officers, visitor requests,
# risk areas, plates) in visitor_models, the clinic's (incidents, check-ins, census) in
# health_models, the gates' passage numbering in stream_models; importing them registers
# them on Base.
import services.storage.enrol_models
import services.storage.health_models
import services.storage.photo_models
import services.storage.stream_models
import services.storage.visitor_models
import services.storage.web_models  # noqa: F401
from kernel.decision.reasons import Reason
from services.storage.base import Base, BigId
from services.storage.types import UtcDateTime


class PersonRow(Base):
    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("card_no", name="uq_persons_card_no"),)

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)  # keyed HMAC, never the number
    id_last4: Mapped[str] = mapped_column(String(4))
    unit: Mapped[str] = mapped_column(String(200), default="")
    household: Mapped[str | None] = mapped_column(String(64), index=True)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gates: Mapped[str] = mapped_column(Text, default="*")
    active: Mapped[bool] = mapped_column(default=True)
    return_approved: Mapped[bool] = mapped_column(default=True)
    # Students' return approval (返校审批): who decided it and when.
    return_approved_by: Mapped[str | None] = mapped_column(String(64))
    return_approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The document behind id_hash (services/identity/documents.py), the campus IC card,
    # and the contact details an administrator keeps (issue 15).
    doc_type: Mapped[str] = mapped_column(String(16), default="cn_id", server_default="cn_id")
    card_no: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    class_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    dormitory: Mapped[str] = mapped_column(String(100), default="", server_default="")


_NUMBERED_ONLY: dict[str, Any] = {"sqlite_where": text("seq_n IS NOT NULL"),
                                  "postgresql_where": text("seq_n IS NOT NULL")}  # fmt: skip


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_person_ts", "person_id", "ts"),
        Index("ix_entries_site_gate_ts", "site", "gate", "ts"),
        Index("ix_entries_site_ts", "site", "ts"),
        Index(
            "ix_entries_grant_id",
            "grant_id",
            sqlite_where=text("grant_id IS NOT NULL"),
            postgresql_where=text("grant_id IS NOT NULL"),
        ),
        Index("ix_entries_seq", "site", "gate", "seq_stream", "seq_n", **_NUMBERED_ONLY),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(3))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    person_id: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[str] = mapped_column(Text, default="")
    celsius: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    policy_version: Mapped[int] = mapped_column(Integer)
    local_decision: Mapped[str | None] = mapped_column(String(8))
    recheck_of: Mapped[str | None] = mapped_column(String(36))
    case_id: Mapped[str | None] = mapped_column(String(40))
    passage_json: Mapped[str] = mapped_column(Text)
    decision_json: Mapped[str] = mapped_column(Text)
    # Public copies of what reports need, so they survive anonymisation:
    # the thermometer, the person's kind at the time, and the appointment
    # (A-...) or temporary pass (P-...) that identified a visitor.
    sensor: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(32))
    grant_id: Mapped[str | None] = mapped_column(String(40))
    seq_stream: Mapped[str | None] = mapped_column(String(32))  # Passage.seq: its place in
    seq_n: Mapped[int | None] = mapped_column(BigInteger)  # the gate's numbering


class RejectedMessageRow(Base):
    __tablename__ = "rejected_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class UsedCodeRow(Base):
    __tablename__ = "used_codes"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(UtcDateTime)


_GATE = Reason.FEVER.value  # a case a gate opened (the origin of services/cases)
CASE_RELEASED = "released"
"""The one case status that no longer isolates (services/cases/lifecycle.py says the rest)."""


class IsolationCaseRow(Base):
    __tablename__ = "isolation_cases"

    case_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True)  # None: opened by hand
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    celsius: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    # The clinic's own work on the case (DESIGN section 4): who acknowledged and
    # closed it, its clinical re-measurement, and when nobody answered in time.
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    clinic_celsius: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    clinic_measured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The lifecycle (services/cases/lifecycle.py): what opened it, where the person is
    # observed or referred, the confirmed diagnosis and the return (复学) that ends a
    # suspension.  ``closed_at``/``closed_by`` are the release; ``updated_at`` the last step.
    origin: Mapped[str] = mapped_column(String(16), default=_GATE, server_default=_GATE)
    opened_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    observation_place: Mapped[str | None] = mapped_column(String(8))
    observation_room: Mapped[str | None] = mapped_column(String(64))
    observation_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    observation_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hospital: Mapped[str | None] = mapped_column(String(200))
    transfer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    suspected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    return_date: Mapped[str | None] = mapped_column(String(10))
    return_certificate: Mapped[str | None] = mapped_column(String(200))
    returned_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GateStateRow(Base):
    __tablename__ = "gate_states"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    gate: Mapped[str] = mapped_column(String(32), primary_key=True)
    locked: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class AppointmentRow(Base):
    """A visitor appointment; approved or refused by an approver of the host unit."""

    __tablename__ = "appointments"

    appointment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    visitor_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_last4: Mapped[str] = mapped_column(String(4))
    host_unit: Mapped[str] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    gates: Mapped[str] = mapped_column(Text, default="*")
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    once: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    code_jti: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UnitApproverRow(Base):
    """Who may approve appointments for a host unit (谁审核谁负责)."""

    __tablename__ = "unit_approvers"

    unit: Mapped[str] = mapped_column(String(200), primary_key=True)
    approver: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PassCategoryRow(Base):
    """A temporary pass category: duty, business, medical, or one the site defines."""

    __tablename__ = "pass_categories"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    max_days: Mapped[int | None] = mapped_column(Integer)
    max_active: Mapped[int | None] = mapped_column(Integer)
    default_uses: Mapped[int | None] = mapped_column(Integer)
    gates: Mapped[str] = mapped_column(Text, default="*")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TempPassRow(Base):
    __tablename__ = "temp_passes"

    pass_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_last4: Mapped[str] = mapped_column(String(4))
    person_id: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    gates: Mapped[str] = mapped_column(Text, default="*")
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    once: Mapped[bool] = mapped_column(default=False)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    code_jti: Mapped[str | None] = mapped_column(String(64))


class HouseholdExitRow(Base):
    """One admitted ``out`` passage of a household member (the exit quota counts these)."""

    __tablename__ = "household_exits"
    __table_args__ = (Index("ix_household_exits_household_at", "household", "exited_at"),)

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    household: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(32))
    exited_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PolicyVersionRow(Base):
    """Every version of a site's policy, with who changed it and why."""

    __tablename__ = "policy_versions"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_json: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResponseLevelRow(Base):
    """A named epidemic response level: the policy values it switches in one action."""

    __tablename__ = "response_levels"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    settings_json: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditLogRow(Base):
    """Who asked or changed what, when: audit queries and administrative actions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text, default="")
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    result_count: Mapped[int | None] = mapped_column(Integer)


class EntryChainRow(Base):
    """The hash chain over the entry log, sealed in entry id order after commit.

    ``chain_hash`` = SHA-256(previous chain_hash, seq, entry_id, event_id,
    entry_ts, public_hash, personal_hash).  The public hash covers the columns
    reports and audits need; the personal hash the columns retention may erase,
    so an anonymised entry still verifies against its public hash.
    """

    __tablename__ = "entry_chain"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    event_id: Mapped[str] = mapped_column(String(36))
    entry_ts: Mapped[datetime] = mapped_column(UtcDateTime)
    public_hash: Mapped[str] = mapped_column(String(64))
    personal_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RetentionRunRow(Base):
    """One run of the retention job: what it purged or anonymised, and up to when."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    days: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[datetime] = mapped_column(UtcDateTime)
    entries_affected: Mapped[int] = mapped_column(Integer)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    # Chain head the run was pinned to, and its own link (services/audit/runs.py).
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    chain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReportRunRow(Base):
    """A daily report produced (by hand or by the scheduler)."""

    __tablename__ = "report_runs"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    zero: Mapped[bool] = mapped_column(default=False)


# -- web service (issue 6): users, sessions, login attempts, case timeline, gate
# commands (manual overrides included) and notifications that could not be delivered.


class CaseEventRow(Base):
    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    # Set for events that happen once per case (alerted, escalated): several web
    # processes may see the same alert, only the one whose insert wins acts on it.
    dedup_key: Mapped[str | None] = mapped_column(String(80), unique=True)


class GateCommandRow(Base):
    __tablename__ = "gate_commands"
    __table_args__ = (Index("ix_gate_commands_site_gate_at", "site", "gate", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    command_id: Mapped[str] = mapped_column(String(36), unique=True)
    site: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    command: Mapped[str] = mapped_column(String(16))
    issued_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    # A manual override at the kiosk: the passage whose decision the guard overrode.
    override_of: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeadLetterRow(Base):
    __tablename__ = "notification_dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
