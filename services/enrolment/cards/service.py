"""Cards for a selection of people: who is printed, their codes signed and registered.

Selection: active people of the roster, narrowed by kind, unit and person ids;
or ``reissue_from``: exactly the people holding a live ID code signed by that
key (``keys retire`` names them), whose old codes are then marked superseded in
the register so the key can be retired without ``--force``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kernel.codes import IssuedCode, SigningKey, issue
from kernel.errors import ConfigError, NotFound
from kernel.masking import mask_id_number
from services.enrolment.cards.model import Card
from services.enrolment.photos import PhotoSource, roster_photo
from services.storage.enrol_models import IssuedCodeRow
from services.storage.issued_codes import live_subjects, record
from services.storage.models import PersonRow

MAX_PERSON_ARGS = 10_000
ISSUE_CHUNK = 2000  # cards signed and registered per round: memory stays flat at 20,000


@dataclass(frozen=True, slots=True)
class Selection:
    kinds: Sequence[str] = ()
    units: Sequence[str] = ()
    person_ids: Sequence[str] = ()
    reissue_from: str | None = None


def _check(selection: Selection) -> None:
    if len(selection.person_ids) > MAX_PERSON_ARGS:
        raise ConfigError(f"at most {MAX_PERSON_ARGS} --person at once; use --unit or --kind")
    for person_id in selection.person_ids:
        if not 0 < len(person_id) <= 64 or not person_id.isprintable():
            raise ConfigError(f"bad person id {person_id[:80]!r}")
    for value in [*selection.units, *selection.kinds]:
        # No control characters (PostgreSQL refuses NUL outright): a clear error instead.
        if not 0 < len(value) <= 200 or not value.isprintable():
            raise ConfigError(f"bad unit or kind {value[:80]!r}")


def select_people(session: Session, selection: Selection, *, now: datetime) -> list[PersonRow]:
    """The active people selected, in person-id order; a named person who is not there
    (or not active) is a NotFound naming them, so a typo never prints a short batch."""
    _check(selection)
    query = select(PersonRow).where(PersonRow.active.is_(True)).order_by(PersonRow.person_id)
    if selection.kinds:
        query = query.where(PersonRow.kind.in_(list(selection.kinds)))
    if selection.units:
        query = query.where(PersonRow.unit.in_(list(selection.units)))
    wanted = list(selection.person_ids)
    if selection.reissue_from is not None:
        wanted = live_subjects(session, kid=selection.reissue_from, now=now)
        if not wanted:
            raise NotFound(f"no live ID code was signed by {selection.reissue_from}")
    if wanted or selection.person_ids:
        ids = sorted(set(wanted))
        rows = sorted(
            (p for start in range(0, len(ids), ISSUE_CHUNK)
             for p in session.scalars(query.where(
                 PersonRow.person_id.in_(ids[start : start + ISSUE_CHUNK])))),
            key=lambda p: p.person_id,
        )  # fmt: skip
        missing = sorted(set(ids) - {p.person_id for p in rows})
        if missing and selection.reissue_from is None:
            shown = ", ".join(repr(m) for m in missing[:5])
            raise NotFound(f"not an active person of the roster: {shown}")
        return rows
    return list(session.scalars(query))


def _card(person: PersonRow, issued: IssuedCode, tz: ZoneInfo, photo: bytes | None) -> Card:
    return Card(
        person_id=person.person_id,
        name=person.name,
        kind=person.kind,
        unit=person.unit,
        masked_id=mask_id_number(person.id_last4),
        valid_until=issued.valid_until.astimezone(tz).date().isoformat(),
        code=issued.code,
        photo=photo,
    )


def issue_cards(
    session: Session, people: Sequence[PersonRow], *, key: SigningKey, ttl: timedelta,
    now: datetime, site: str | None, tz: ZoneInfo, actor: str,
    photos: PhotoSource = roster_photo,
) -> Iterator[Card]:  # fmt: skip
    """Sign one ID code per person and register it (in ``session``), chunk by chunk,
    yielding the cards in order.  A person's card is valid no longer than their roster
    validity."""
    for start in range(0, len(people), ISSUE_CHUNK):
        chunk = people[start : start + ISSUE_CHUNK]
        issued = [_issue(key, p, ttl, now, site) for p in chunk]
        record(session, issued, issued_by=actor)
        for person, code in zip(chunk, issued, strict=True):
            yield _card(person, code, tz, photos(session, person.person_id))


def _issue(key: SigningKey, person: PersonRow, ttl: timedelta, now: datetime, site: str | None
           ) -> IssuedCode:  # fmt: skip
    return issue(key, subject=person.person_id, typ="id", ttl=_ttl_for(person, ttl, now),
                 now=now, site=site)  # fmt: skip


def _ttl_for(person: PersonRow, ttl: timedelta, now: datetime) -> timedelta:
    if person.valid_until is not None and person.valid_until - now < ttl:
        return max(person.valid_until - now, timedelta(seconds=1))
    return ttl


def supersede(session: Session, *, kid: str, person_ids: Sequence[str], now: datetime) -> int:
    """After a re-issue: the old ID codes of ``kid`` held by ``person_ids`` are marked
    revoked in the register (their cards are replaced), so ``keys retire`` counts them no
    more.  Returns how many."""
    total = 0
    for start in range(0, len(person_ids), ISSUE_CHUNK):
        result = session.execute(
            update(IssuedCodeRow)
            .where(
                IssuedCodeRow.kid == kid,
                IssuedCodeRow.kind == "id",
                IssuedCodeRow.revoked_at.is_(None),
                IssuedCodeRow.person_id.in_(list(person_ids[start : start + ISSUE_CHUNK])),
            )
            .values(revoked_at=now)
        )
        total += int(result.rowcount)  # type: ignore[attr-defined]
    return total
