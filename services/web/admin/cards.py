"""'Print cards for this unit' on the roster page: the same cards as ``campusgate code cards``.

Signed with the site's active key, recorded in the register of issued codes and
the audit log (who printed which unit), in the request's transaction; the PDF
is made in memory.  A unit bigger than :data:`MAX_WEB_CARDS` is sent to the CLI
(it has the progress bar and the worker process).
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.codes import parse_ttl
from kernel.errors import NotFound
from services.enrolment.cards.pdf import write_pdf
from services.enrolment.cards.service import Selection, issue_cards, select_people
from services.storage.audit_log import log_action
from services.storage.models import PersonRow
from services.web.admin.service import signing_key
from services.web.auth.roles import Principal
from services.web.context import WebContext
from services.web.errors import InvalidInput

MAX_WEB_CARDS = 3000
CARD_TTL = "365d"


class CardsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: Annotated[str, Field(min_length=1, max_length=200)]
    lang: Literal["zh", "en"] = "zh"
    per_page: Literal[8, 10] = 10


def units(session: Session) -> list[str]:
    """The units of the active roster, for the page's list."""
    query = select(PersonRow.unit).where(PersonRow.active.is_(True)).distinct()
    return sorted(unit for unit in session.scalars(query) if unit)


def print_unit_cards(
    session: Session, ctx: WebContext, principal: Principal, request: CardsRequest
) -> bytes:
    now = ctx.now()
    people = select_people(session, Selection(units=[request.unit]), now=now)
    if not people:
        raise NotFound(f"no active person in unit {request.unit!r}")
    if len(people) > MAX_WEB_CARDS:
        raise InvalidInput("too_many_cards", f"{len(people)} people: print more than "
                           f"{MAX_WEB_CARDS} cards with campusgate code cards --unit")  # fmt: skip
    key = signing_key(ctx)
    cards = issue_cards(session, people, key=key, ttl=parse_ttl(CARD_TTL), now=now,
                        site=ctx.site, tz=ctx.tz, actor=principal.username)  # fmt: skip
    out = io.BytesIO()
    write_pdf(cards, out, lang=request.lang, per_page=request.per_page)
    log_action(session, at=now, actor=principal.username, role=principal.role.value,
               action="code.cards", target=request.unit[:200], count=len(people),
               params={"units": [request.unit], "kid": key.kid, "ttl": CARD_TTL,
                       "via": "web"})  # fmt: skip
    return out.getvalue()
