"""My code: a person's ID code, re-signed every :data:`REFRESH_S` with a short validity.

The code is an ordinary ID code signed with the site's active key, so a gate
verifies it offline exactly as a printed card's; it lives :data:`CODE_TTL`, so a
screenshot is stale within a minute and a half.  Every one is recorded in the
register of issued codes (``issued_by="mycode"``).  Also what the page shows
beside it: the name, and today's status (isolated, or entered today, or not).

Other features add panels to the page (issue 17: the daily check-in) through
``services.web.me.panels``; nothing here needs to change for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.codes import IssuedCode, SigningKey, issue
from kernel.localtime import start_of
from services.enrolment.photos import PhotoSource, roster_photo
from services.storage.enrol_models import IssuedCodeRow
from services.storage.issued_codes import record
from services.storage.models import EntryRow, IsolationCaseRow, PersonRow

REFRESH_S = 30
ISSUED_BY = "mycode"
CODE_TTL = timedelta(seconds=90)


@dataclass(frozen=True, slots=True)
class Today:
    status: str  # "isolated", "admitted", "none"
    at: datetime | None = None  # the last admission today


@dataclass(frozen=True, slots=True)
class MyCode:
    person_id: str
    name: str
    unit: str
    code: IssuedCode
    today: Today
    photo: bytes | None = None  # from the PhotoSource seam (the roster's photo column)


def today_status(session: Session, person_id: str, *, now: datetime, tz: ZoneInfo) -> Today:
    cases = IsolationCaseRow
    open_case = session.scalar(select(cases.case_id).where(
        cases.person_id == person_id, cases.status != "closed").limit(1))  # fmt: skip
    if open_case is not None:
        return Today("isolated")
    last = session.scalar(
        select(EntryRow.ts)
        .where(
            EntryRow.person_id == person_id,
            EntryRow.decision == "admit",
            EntryRow.ts >= start_of(now.astimezone(tz).date(), tz),
        )
        .order_by(EntryRow.ts.desc())
        .limit(1)
    )
    return Today("admitted", last) if last is not None else Today("none")


def fresh_code(
    session: Session, person_id: str, *, key: SigningKey, now: datetime, site: str | None,
    tz: ZoneInfo, photos: PhotoSource = roster_photo,
) -> MyCode | None:  # fmt: skip
    """A new short-lived ID code for an active person (None: not on the active roster)."""
    person = session.get(PersonRow, person_id)
    if person is None or not person.active:
        return None
    code = issue(key, subject=person_id, typ="id", ttl=CODE_TTL, now=now, site=site)
    # A page left open signs a code every REFRESH_S: the register keeps only the live ones
    # (what a key's retirement must count), not a row per refresh for ever.
    session.execute(delete(IssuedCodeRow).where(
        IssuedCodeRow.person_id == person_id, IssuedCodeRow.issued_by == ISSUED_BY,
        IssuedCodeRow.valid_until <= now))  # fmt: skip
    record(session, [code], issued_by=ISSUED_BY)
    return MyCode(person_id, person.name, person.unit, code,
                  today_status(session, person_id, now=now, tz=tz),
                  photos(session, person_id))  # fmt: skip
