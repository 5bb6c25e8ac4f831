"""The roster for the administrator: upload a CSV/XLSX file, dry run first, then import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from services.web.admin.cards import CardsRequest, print_unit_cards
from services.web.admin.roster import RosterReportView, import_upload
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/roster", tags=["roster"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]


@router.post("/import", response_model=RosterReportView)
async def import_roster(
    principal: Admin,
    request: Request,
    file: Annotated[UploadFile, File(description="the roster, .csv or .xlsx")],
    dry_run: Annotated[bool, Query(description="check only, write nothing")] = True,
    sync: Annotated[bool, Query(description="deactivate people missing from the file")] = False,
) -> RosterReportView:
    """The validation report (line, column, reason) and what was (or would be) written."""
    return await import_upload(context(request), principal, file, dry_run=dry_run, sync=sync)


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
