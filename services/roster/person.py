"""One person at a time: add, edit, deactivate, reactivate, photo (issue 15, build 4).

Each change is validated exactly as a roster row is (:func:`~services.roster.parse.parse_row`),
needs a reason, and is written to the audit log with who made it and the fields it
changed (never an ID number: only that the document changed).  Nothing is written
unless all of it is valid.  The caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.errors import NotFound, Refused, RosterError
from kernel.localtime import site_zone
from services.identity import IdHasher
from services.roster.importer import COMPARED
from services.roster.parse import PersonValues, RowInvalid, parse_row
from services.roster.photos import Photo, store_photo
from services.roster.service import RosterEntry, get_person
from services.storage.models import AuditLogRow, PersonRow

MAX_REASON = 500
FIELDS = (
    "person_id", "name", "kind", "id_number", "doc_type", "unit", "household", "valid_from",
    "valid_until", "gates", "return_approved", "card_no", "phone", "class_name", "dormitory",
)  # fmt: skip


class PersonInvalid(RosterError):
    """A person's values the roster refuses: ``problems`` lists (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]] | str) -> None:
        found = [("", problems)] if isinstance(problems, str) else problems
        super().__init__("; ".join(f"{f}: {r}" if f else r for f, r in found))
        self.problems = found


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise PersonInvalid([("reason", "say why (it is kept in the audit log)")])
    if len(text) > MAX_REASON or not text.isprintable():
        raise PersonInvalid([("reason", f"at most {MAX_REASON} printable characters")])
    return text


def _audit(
    session: Session, *, by: str, action: str, person_id: str, reason: str, now: datetime,
    **params: Any,
) -> None:  # fmt: skip
    session.add(AuditLogRow(
        at=now, actor=by[:64], role="admin", action=action, target=person_id,
        params_json=json.dumps({"reason": reason, **params}, ensure_ascii=False), result_count=1,
    ))  # fmt: skip


def _card_free(session: Session, card_no: str | None, person_id: str) -> None:
    if card_no is None:
        return
    holder = session.scalar(select(PersonRow.person_id).where(PersonRow.card_no == card_no))
    if holder is not None and holder != person_id:
        raise PersonInvalid([("card_no", f"card number {card_no} already belongs to {holder!r}")])


def _parsed(cells: Mapping[str, Any], hasher: IdHasher, tz: ZoneInfo, **kw: Any) -> PersonValues:
    unknown = sorted(set(cells) - set(FIELDS))
    if unknown:
        raise PersonInvalid([(name[:40], "not a roster field") for name in unknown[:5]])
    try:
        return parse_row(cells, hasher=hasher, tz=tz, **kw)
    except RowInvalid as exc:
        raise PersonInvalid(exc.problems) from exc


def add_person(
    *, session: Session, cells: Mapping[str, Any], hasher: IdHasher, by: str, reason: str,
    now: datetime, tz: ZoneInfo | None = None, photo: Photo | None = None,
) -> RosterEntry:  # fmt: skip
    """A new person from ``cells`` (field -> text, as a roster row); Refused if the id exists."""
    why = _reason(reason)
    tz = tz or site_zone()
    values = _parsed(cells, hasher, tz)
    if session.get(PersonRow, values.person_id) is not None:
        raise Refused(f"person {values.person_id!r} exists already: edit them instead")
    _card_free(session, values.card_no, values.person_id)
    approved = values.return_approved
    session.add(PersonRow(
        person_id=values.person_id, **{k: getattr(values, k) for k in COMPARED}, active=True,
        return_approved=True if approved is None else approved,
        return_approved_by=by if approved is not None else None,
        return_approved_at=now if approved is not None else None, updated_at=now,
    ))  # fmt: skip
    session.flush()
    if photo is not None:
        store_photo(session=session, person_id=values.person_id, photo=photo, now=now)
    _audit(session, by=by, action="roster.person.add", person_id=values.person_id, reason=why,
           now=now, photo=photo is not None)  # fmt: skip
    return get_person(session=session, person_id=values.person_id, tz=tz)


def _stored_cells(row: PersonRow, tz: ZoneInfo) -> dict[str, Any]:
    """A stored person as the cells of a row (without their document number: never kept)."""
    return {
        "person_id": row.person_id, "name": row.name, "kind": row.kind, "unit": row.unit,
        "household": row.household or "", "gates": row.gates,
        "valid_from": row.valid_from.astimezone(tz).date() if row.valid_from else "",
        "valid_until": row.valid_until.astimezone(tz).date() if row.valid_until else "",
        "card_no": row.card_no or "", "phone": row.phone or "", "class_name": row.class_name,
        "dormitory": row.dormitory,
    }  # fmt: skip


def edit_person(
    *, session: Session, person_id: str, changes: Mapping[str, Any], hasher: IdHasher, by: str,
    reason: str, now: datetime, tz: ZoneInfo | None = None, photo: Photo | None = None,
) -> RosterEntry:  # fmt: skip
    """Change some of a person's fields (field -> text; ``""`` clears an optional one)."""
    why = _reason(reason)
    tz = tz or site_zone()
    row = session.get(PersonRow, person_id)
    if row is None:
        raise NotFound(f"no person {person_id!r} in the roster")
    if "person_id" in changes and changes["person_id"] != person_id:
        raise PersonInvalid([("person_id", "a person id cannot change: add a new person")])
    cells = {**_stored_cells(row, tz), **changes}
    kept = (row.doc_type, row.id_hash, row.id_last4)
    values = _parsed(cells, hasher, tz, kept_document=kept)
    _card_free(session, values.card_no, person_id)
    changed = sorted(k for k in COMPARED if getattr(row, k) != getattr(values, k))
    for name in changed:
        setattr(row, name, getattr(values, name))
    if values.return_approved is not None and values.return_approved != row.return_approved:
        row.return_approved, row.return_approved_by, row.return_approved_at = (
            values.return_approved, by, now,
        )  # fmt: skip
        changed.append("return_approved")
    stored_photo = photo is not None and store_photo(
        session=session, person_id=person_id, photo=photo, now=now
    )
    if changed:
        row.updated_at = now
    session.flush()
    shown = [("id_number" if k in ("id_hash", "id_last4") else k) for k in changed]
    _audit(session, by=by, action="roster.person.edit", person_id=person_id, reason=why, now=now,
           changed=sorted(set(shown)), photo=stored_photo)  # fmt: skip
    return get_person(session=session, person_id=person_id, tz=tz)


def set_active(
    *, session: Session, person_id: str, active: bool, by: str, reason: str, now: datetime
) -> RosterEntry:
    """Deactivate (no longer admitted anywhere, history kept) or reactivate one person."""
    why = _reason(reason)
    row = session.get(PersonRow, person_id)
    if row is None:
        raise NotFound(f"no person {person_id!r} in the roster")
    if row.active == active:
        raise Refused(f"{person_id!r} is {'active' if active else 'inactive'} already")
    row.active = active
    row.updated_at = now
    session.flush()
    action = "roster.person.reactivate" if active else "roster.person.deactivate"
    _audit(session, by=by, action=action, person_id=person_id, reason=why, now=now)
    return get_person(session=session, person_id=person_id)
