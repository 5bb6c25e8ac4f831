"""The roster for the administrator: upload a file (dry run first), and one person at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile

from services.roster import RosterEntry
from services.web.admin import person
from services.web.admin.cards import CardsRequest, print_unit_cards
from services.web.admin.person import ActiveChange, PersonChange
from services.web.admin.roster import RosterReportView, import_upload
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/roster", tags=["roster"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
PersonId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/import", response_model=RosterReportView)
async def import_roster(
    principal: Admin,
    request: Request,
    file: Annotated[UploadFile, File(description="the roster, .csv or .xlsx")],
    photos: Annotated[
        UploadFile | None, File(description="a ZIP of photos named by person id")
    ] = None,
    *,
    dry_run: Annotated[bool, Query(description="check only, write nothing")] = True,
    sync: Annotated[bool, Query(description="deactivate people missing from the file")] = False,
    force: Annotated[bool, Query(description="with sync: even more than 10 % of them")] = False,
) -> RosterReportView:
    """The validation report (line, column, reason) and what was (or would be) written."""
    return await import_upload(
        context(request), principal, file, dry_run=dry_run, sync=sync, force=force, photos=photos
    )


@router.post("/persons", response_model=RosterEntry, status_code=201)
def add_person(principal: Admin, request: Request, change: PersonChange) -> RosterEntry:
    """A new person (id, name, kind and ID document required); who and why are logged."""
    return person.add(context(request), principal, change)


@router.get("/persons/{person_id}", response_model=RosterEntry)
def show_person(principal: Admin, request: Request, person_id: PersonId) -> RosterEntry:
    return person.show(context(request), person_id)


@router.patch("/persons/{person_id}", response_model=RosterEntry)
def edit_person(
    principal: Admin, request: Request, person_id: PersonId, change: PersonChange
) -> RosterEntry:
    """Change the fields given (``""`` clears an optional one); who and why are logged."""
    return person.edit(context(request), principal, person_id, change)


@router.post("/persons/{person_id}/deactivate", response_model=RosterEntry)
def deactivate(
    principal: Admin, request: Request, person_id: PersonId, change: ActiveChange
) -> RosterEntry:
    return person.activate(context(request), principal, person_id, change, active=False)


@router.post("/persons/{person_id}/reactivate", response_model=RosterEntry)
def reactivate(
    principal: Admin, request: Request, person_id: PersonId, change: ActiveChange
) -> RosterEntry:
    return person.activate(context(request), principal, person_id, change, active=True)


@router.put("/persons/{person_id}/photo", response_model=RosterEntry)
async def put_photo(
    principal: Admin,
    request: Request,
    person_id: PersonId,
    file: Annotated[UploadFile, File(description="JPEG or PNG, at most 5 MB")],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> RosterEntry:
    """The person's photo: checked to be an image, re-encoded, stored."""
    return await person.upload_photo(context(request), principal, person_id, file, reason)


@router.get("/persons/{person_id}/photo", response_class=Response)
def get_photo(
    principal: Admin,
    request: Request,
    person_id: PersonId,
    thumb: Annotated[bool, Query(description="the small one")] = False,
) -> Response:
    data = person.photo_bytes(context(request), person_id, thumb=thumb)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post(
    "/cards",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the cards, A4 PDF"}},
)
def print_cards(principal: Admin, request: Request, body: CardsRequest) -> Response:
    """Print the ID cards of one unit: one signed ID code per active person, recorded in the
    register of issued codes."""
    ctx = context(request)
    with ctx.transaction() as session:
        pdf = print_unit_cards(session, ctx, principal, body)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="cards.pdf"'},
    )
