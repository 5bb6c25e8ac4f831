"""Roster queries and single-person changes a thin router or the CLI calls.

Every function takes ``session=`` and returns plain models; the caller owns
the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.errors import NotFound
from kernel.localtime import site_zone
from kernel.masking import Masker, Role, mask_id_number
from services.exports import TableFormat, write_table
from services.roster.columns import ENGLISH_HEADER
from services.storage.models import AuditLogRow, PersonRow
from services.storage.photo_models import PersonPhotoRow
from ui.i18n import Lang, lang_arg, t, word


class RosterEntry(BaseModel):
    """One person as the roster shows them (ID number masked; name by role)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    kind: str
    masked_id: str
    unit: str
    household: str | None
    valid_from: date | None
    valid_until: date | None
    gates: str
    active: bool
    return_approved: bool
    return_approved_by: str | None
    return_approved_at: datetime | None
    doc_type: str = "cn_id"
    card_no: str | None = None
    phone: str | None = None  # masked unless the role sees phone numbers
    class_name: str = ""
    dormitory: str = ""
    has_photo: bool = False


def _entry(row: PersonRow, masker: Masker, tz: ZoneInfo, photo: bool = False) -> RosterEntry:
    return RosterEntry(
        person_id=masker.person_id(row.person_id) or "",
        name=masker.name(row.name) or "",
        kind=row.kind,
        masked_id=mask_id_number(row.id_last4),
        unit=row.unit,
        household=row.household,
        valid_from=row.valid_from.astimezone(tz).date() if row.valid_from else None,
        valid_until=row.valid_until.astimezone(tz).date() if row.valid_until else None,
        gates=row.gates,
        active=row.active,
        return_approved=row.return_approved,
        return_approved_by=row.return_approved_by,
        return_approved_at=row.return_approved_at,
        doc_type=row.doc_type,
        card_no=row.card_no,
        phone=masker.phone(row.phone),
        class_name=row.class_name,
        dormitory=row.dormitory,
        has_photo=photo,
    )


def list_roster(
    *,
    session: Session,
    role: Role | str = Role.ADMIN,
    kinds: Collection[str] | None = None,
    active_only: bool = False,
    tz: ZoneInfo | None = None,
) -> Iterator[RosterEntry]:
    tz = tz or site_zone()
    masker = Masker(role)
    query = select(PersonRow).order_by(PersonRow.person_id)
    if kinds:
        query = query.where(PersonRow.kind.in_(list(kinds)))
    if active_only:
        query = query.where(PersonRow.active)
    for row in session.scalars(query.execution_options(yield_per=2000)):
        yield _entry(row, masker, tz)


def get_person(
    *, session: Session, person_id: str, role: Role | str = Role.ADMIN, tz: ZoneInfo | None = None
) -> RosterEntry:
    row = session.get(PersonRow, person_id)
    if row is None:
        raise NotFound(f"no person {person_id!r} in the roster")
    photo = session.get(PersonPhotoRow, person_id) is not None
    return _entry(row, Masker(role), tz or site_zone(), photo)


def set_return_approval(
    *, session: Session, person_id: str, approved: bool, by: str, now: datetime, note: str = ""
) -> RosterEntry:
    """返校审批: record that ``by`` approved (or withdrew) a student's return."""
    row = session.get(PersonRow, person_id)
    if row is None:
        raise NotFound(f"no person {person_id!r} in the roster")
    row.return_approved = approved
    row.return_approved_by = by
    row.return_approved_at = now
    row.updated_at = now
    session.add(AuditLogRow(
        at=now, actor=by[:64], role="admin", action="roster.return_approval", target=person_id,
        params_json=json.dumps({"approved": approved, "note": note}), result_count=1,
    ))  # fmt: skip
    session.flush()
    return _entry(row, Masker(Role.ADMIN), site_zone())


# The export's columns: the import's fields and "active" (keys ``roster.col.<field>``).
ROSTER_COLUMNS = (*ENGLISH_HEADER, "active")


def export_roster(
    path: Path,
    *,
    session: Session,
    fmt: TableFormat,
    role: Role | str = Role.ADMIN,
    lang: Lang | Literal["zh"] | None = None,
    kinds: Collection[str] | None = None,
    active_only: bool = False,
    tz: ZoneInfo | None = None,
) -> int:
    """Write the roster as CSV or XLSX; ID numbers appear masked (only the last four exist).

    Headers and words in ``lang`` (default: the site's); the zh-CN headers are ones the
    import reads back (``roster.col.*`` match ``columns.CHINESE_HEADER``)."""
    chosen = lang_arg(lang)
    headers = [t(chosen, f"roster.col.{f}") for f in ROSTER_COLUMNS]

    def yes_no(value: bool) -> str:
        return t(chosen, "exp.yes" if value else "exp.no")

    def rows() -> Iterator[list[object]]:
        for e in list_roster(session=session, role=role, kinds=kinds, active_only=active_only,
                             tz=tz):  # fmt: skip
            kind = word(chosen, "kind", e.kind)
            yield [
                e.person_id, e.name, kind, e.masked_id, e.unit, e.household or "",
                e.valid_from.isoformat() if e.valid_from else "",
                e.valid_until.isoformat() if e.valid_until else "",
                e.gates, yes_no(e.return_approved), e.doc_type, e.card_no or "", e.phone or "",
                e.class_name, e.dormitory, yes_no(e.active),
            ]  # fmt: skip

    return write_table(path, headers, rows(), fmt=fmt, sheet=t(chosen, "exp.roster"), tz=tz)
