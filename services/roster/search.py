"""Finding a person for a guard at a lane (issue 15, build 6): few answers, never a listing.

A student or staff number matches exactly; a name matches whole or by its start (at
least :data:`MIN_NAME_PREFIX` characters).  Only active people allowed through the
given gate are found, at most :data:`MAX_RESULTS`: a look-up helps the guard with
the person in front of them and cannot page through the roster.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kernel.masking import mask_id_number
from services.storage.hotpath import gate_set
from services.storage.models import PersonRow
from services.storage.photo_models import PersonPhotoRow

MAX_RESULTS = 5
MIN_NAME_PREFIX = 2
MAX_QUERY = 64


@dataclass(frozen=True, slots=True)
class Found:
    person_id: str
    name: str
    kind: str
    unit: str
    class_name: str
    masked_id: str
    has_photo: bool


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_for_gate(*, session: Session, gate: str, query: str) -> list[Found]:
    """Active people allowed at ``gate`` whose number is ``query`` or whose name begins so."""
    text = query.strip()
    if not text or len(text) > MAX_QUERY or not text.isprintable():
        return []
    match = [PersonRow.person_id == text, PersonRow.name == text]
    if len(text) >= MIN_NAME_PREFIX:
        match.append(PersonRow.name.like(_escaped(text) + "%", escape="\\"))
    rows = session.scalars(
        select(PersonRow).where(PersonRow.active, or_(*match))
        .order_by(PersonRow.person_id).limit(MAX_RESULTS * 4)
    ).all()  # fmt: skip
    allowed = [r for r in rows if (g := gate_set(r.gates)) is None or gate in g][:MAX_RESULTS]
    ids = [r.person_id for r in allowed]
    photos = set(
        session.scalars(select(PersonPhotoRow.person_id).where(PersonPhotoRow.person_id.in_(ids)))
    )
    return [
        Found(
            r.person_id,
            r.name,
            r.kind,
            r.unit,
            r.class_name,
            mask_id_number(r.id_last4),
            r.person_id in photos,
        )
        for r in allowed
    ]


def allowed_at_gate(*, session: Session, gate: str, person_id: str) -> bool:
    row = session.get(PersonRow, person_id)
    if row is None or not row.active:
        return False
    gates = gate_set(row.gates)
    return gates is None or gate in gates
