"""The administrator's one-person changes from the page and the API (issue 15, build 4).

Thin: each call opens a transaction, hands the roster's own functions the signed-in
user as ``by``, and returns the person as the roster shows them.  A photo upload is
read with a cap and checked by :func:`services.roster.photos.process_photo`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field

from services.roster import RosterEntry, add_person, edit_person, get_person, set_active
from services.roster.photos import MAX_PHOTO_BYTES, person_photo, process_photo
from services.web.admin.service import id_hasher
from services.web.auth.roles import Principal
from services.web.context import WebContext
from services.web.errors import NotFound

Value = Annotated[str, Field(max_length=300)]


class PersonValues(BaseModel):
    """A person's fields as text, as a roster row has them; absent: unchanged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_id: Value | None = None
    name: Value | None = None
    kind: Value | None = None
    id_number: Value | None = None
    doc_type: Value | None = None
    unit: Value | None = None
    household: Value | None = None
    valid_from: Value | None = None
    valid_until: Value | None = None
    gates: Value | None = None
    return_approved: Value | None = None
    card_no: Value | None = None
    phone: Value | None = None
    class_name: Value | None = None
    dormitory: Value | None = None


class PersonChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    values: PersonValues = Field(default_factory=PersonValues)
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ActiveChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[str, Field(min_length=1, max_length=500)]


def _cells(values: PersonValues) -> dict[str, str]:
    return {k: v for k, v in values.model_dump().items() if v is not None}


def show(ctx: WebContext, person_id: str) -> RosterEntry:
    with ctx.transaction() as session:
        return get_person(session=session, person_id=person_id, tz=ctx.tz)


def add(ctx: WebContext, principal: Principal, change: PersonChange) -> RosterEntry:
    with ctx.transaction() as session:
        return add_person(
            session=session, cells=_cells(change.values), hasher=id_hasher(ctx),
            by=principal.username, reason=change.reason, now=ctx.now(), tz=ctx.tz,
        )  # fmt: skip


def edit(
    ctx: WebContext, principal: Principal, person_id: str, change: PersonChange
) -> RosterEntry:
    with ctx.transaction() as session:
        return edit_person(
            session=session, person_id=person_id, changes=_cells(change.values),
            hasher=id_hasher(ctx), by=principal.username, reason=change.reason, now=ctx.now(),
            tz=ctx.tz,
        )  # fmt: skip


def activate(
    ctx: WebContext, principal: Principal, person_id: str, change: ActiveChange, *, active: bool
) -> RosterEntry:
    with ctx.transaction() as session:
        return set_active(
            session=session, person_id=person_id, active=active, by=principal.username,
            reason=change.reason, now=ctx.now(),
        )  # fmt: skip


async def upload_photo(
    ctx: WebContext, principal: Principal, person_id: str, upload: UploadFile, reason: str
) -> RosterEntry:
    """A photo for one person: read at most 5 MB + 1 byte, checked, re-encoded, stored."""
    data = await upload.read(MAX_PHOTO_BYTES + 1)
    photo = process_photo(data, name="photo")
    with ctx.transaction() as session:
        return edit_person(
            session=session, person_id=person_id, changes={}, hasher=id_hasher(ctx),
            by=principal.username, reason=reason, now=ctx.now(), tz=ctx.tz, photo=photo,
        )  # fmt: skip


def photo_bytes(ctx: WebContext, person_id: str, *, thumb: bool) -> bytes:
    with ctx.transaction() as session:
        found = person_photo(session, person_id, thumb=thumb)
    if found is None:
        raise NotFound("no_photo", f"no photo of {person_id!r}")
    return found
