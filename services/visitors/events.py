"""An event's visitor list (XLSX): checked whole, stored as one batch of requests, approved
in one action by the host unit's approver.

The workbook passes the roster's bomb limits (``services.roster.xlsx_limits``) before
openpyxl reads it, and again cell by cell; a list longer than ``MAX_EVENT_ROWS`` is
refused.  The header row names the columns (Chinese or English); every row is checked
as a visitor's own request is (name, phone, document, plate); one bad row refuses the
whole list with every row's reason, and nothing is stored.
"""

from __future__ import annotations

import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.codes import SigningKey
from kernel.errors import ConfigError, RosterError
from kernel.plates import normalise_plate
from services.appointments import service as appointments
from services.identity import IdHasher
from services.roster.xlsx_limits import check_cell, inspect_xlsx
from services.storage.models import AppointmentRow
from services.storage.visitor_models import VisitorRequestRow
from services.visitors.forms import WalkInForm
from services.visitors.requests import VisitorPolicy, check_window, document_hash
from services.visitors.units import require_unit

MAX_EVENT_ROWS = 2000
HEADERS = {
    "姓名": "name", "name": "name",
    "手机": "phone", "手机号": "phone", "phone": "phone",
    "证件类型": "document_type", "document type": "document_type",
    "证件号码": "document_number", "身份证号": "document_number",
    "document number": "document_number",
    "车牌": "plate", "车牌号": "plate", "plate": "plate",
}  # fmt: skip
DOCUMENT_TYPES = {"身份证": "id_card", "居民身份证": "id_card", "护照": "passport",
                  "港澳通行证": "hk_macao_permit", "台胞证": "taiwan_permit"}  # fmt: skip
REQUIRED = ("name", "phone", "document_number")


@dataclass(frozen=True, slots=True)
class EventRow:
    line: int
    values: dict[str, str]


@dataclass
class EventReport:
    """What an import did: the batch made, or every row's reason it made nothing."""

    rows: int = 0
    batch: str = ""
    errors: list[tuple[int, str]] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read_event_xlsx(path: Path) -> list[EventRow]:
    """The rows of the list's first sheet under its header row (bounded before reading)."""
    inspect_xlsx(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterError(f"not an XLSX workbook: {exc}") from exc
    try:
        rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
        columns: dict[int, str] = {}
        found: list[EventRow] = []
        for line, cells in rows:
            check_cell(len(cells) - 1, line, ("工作表", "the sheet"))
            if not columns:
                columns = {i: HEADERS[h] for i, c in enumerate(cells)
                           if (h := _text(c).lower()) in HEADERS}  # fmt: skip
                missing = [name for name in REQUIRED if name not in columns.values()]
                if columns and missing:
                    raise RosterError(f"the header row lacks {', '.join(missing)}")
                continue
            values = {name: _text(cells[i]) for i, name in columns.items() if i < len(cells)}
            if any(values.values()):
                found.append(EventRow(line, values))
            if len(found) > MAX_EVENT_ROWS:
                raise RosterError(f"an event list has at most {MAX_EVENT_ROWS} rows")
    finally:
        workbook.close()
    if not columns:
        raise RosterError("no header row (姓名, 手机, 证件号码 ...) in the first sheet")
    return found


def _checked(row: EventRow, unit: str, hasher: IdHasher) -> tuple[WalkInForm, tuple[str, str], str]:
    kind = DOCUMENT_TYPES.get(row.values.get("document_type", ""), "id_card")
    form = WalkInForm.model_validate({
        "visitor_name": row.values.get("name", ""), "phone": row.values.get("phone", ""),
        "document_type": kind, "document_number": row.values.get("document_number", ""),
        "host_unit": unit, "gate": "main",
    })  # fmt: skip
    plate = row.values.get("plate", "")
    return (
        form,
        document_hash(form.document_type, form.document_number, hasher),
        (normalise_plate(plate) if plate else ""),
    )


def import_event(
    *,
    session: Session,
    site: str,
    rows: list[EventRow],
    unit: str,
    purpose: str,
    valid_from: datetime,
    valid_until: datetime,
    hasher: IdHasher,
    by: str,
    now: datetime,
    policy: VisitorPolicy,
) -> EventReport:
    """Every row a request of ``unit`` in one batch, or (one row bad) none at all."""
    unit = require_unit(session=session, unit=unit)
    check_window(valid_from, valid_until, now, policy)
    report = EventReport(rows=len(rows))
    checked = []
    for row in rows:
        try:
            checked.append(_checked(row, unit, hasher))
        except (ValidationError, ConfigError) as exc:
            report.errors.append((row.line, _reason(exc)))
    if report.errors or not rows:
        if not rows:
            report.errors.append((0, "the list has no visitors"))
        return report
    report.batch = f"E-{secrets.token_hex(8)}"
    for form, document, plate in checked:
        made = appointments.request_appointment(
            session=session,
            request=appointments.AppointmentRequest(
                site=site, visitor_name=form.visitor_name, phone=form.phone,
                id_number=SecretStr(""), host_unit=unit, purpose=purpose, gates=["*"],
                valid_from=valid_from, valid_until=valid_until, once=True,
            ),
            hasher=hasher, by=by, now=now, document=document,
        )  # fmt: skip
        session.add(VisitorRequestRow(
            appointment_id=made.appointment_id, source="event", host_person="", guarantor=by,
            companions="", plate=plate, email="", fever_free=True, last_test_on="", places="",
            risk_places="", token_hash=None, answer_by=None, gate="", batch=report.batch,
        ))  # fmt: skip
    session.flush()
    return report


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def approve_event(
    *, session: Session, batch: str, by: str, now: datetime, key: SigningKey
) -> list[str]:
    """Approve every request still open in ``batch`` (approvers of its unit only)."""
    query = (
        select(AppointmentRow.appointment_id)
        .join(VisitorRequestRow, VisitorRequestRow.appointment_id == AppointmentRow.appointment_id)
        .where(VisitorRequestRow.batch == batch, AppointmentRow.status == "requested")
        .order_by(AppointmentRow.appointment_id)
    )
    ids = list(session.scalars(query))
    for appointment_id in ids:
        approval = appointments.approve(session=session, appointment_id=appointment_id, by=by,
                                        now=now, key=key, note=f"event {batch}")  # fmt: skip
        extra = session.get(VisitorRequestRow, appointment_id)
        if extra is not None:
            extra.code = approval.code
    session.flush()
    return ids
