"""The register of issued codes: every code issued is a row (never the code itself).

Written by ``campusgate code issue``, the card printer, the my-code page and the
visitor and pass codes that approvals issue, in the caller's transaction (it lives
in storage so every feature that signs a code can record it); read before a key
is retired (how many live codes would it cut?) and to re-issue exactly the ID
codes a key signed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kernel.codes import IssuedCode
from services.storage.enrol_models import IssuedCodeRow

INSERT_CHUNK = 2000  # rows per INSERT: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, slots=True)
class LiveCodes:
    """The live (unexpired, unrevoked) codes of one key."""

    kid: str
    count: int
    last_valid_until: datetime | None
    persons: int
    by_kind: dict[str, int]

    def kinds(self) -> str:
        """``id 3, pass 1``: what the count is made of."""
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items()))


def _row(c: IssuedCode, by: str) -> dict[str, object]:
    return {
        "jti": c.jti, "person_id": c.subject, "kid": c.kid, "kind": c.typ,
        "issued_at": c.issued_at, "valid_until": c.valid_until, "issued_by": by,
        "revoked_at": None,
    }  # fmt: skip


def record(session: Session, codes: Iterable[IssuedCode], *, issued_by: str) -> int:
    """Add ``codes`` to the register; returns how many."""
    by = issued_by[:64]
    rows = [_row(c, by) for c in codes]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(IssuedCodeRow), rows[start : start + INSERT_CHUNK])
    return len(rows)


def _live(kid: str, now: datetime) -> list[object]:
    return [
        IssuedCodeRow.kid == kid,
        IssuedCodeRow.valid_until > now,
        IssuedCodeRow.revoked_at.is_(None),
    ]


def live_codes(session: Session, *, kid: str, now: datetime) -> LiveCodes:
    count, last, persons = session.execute(
        select(
            func.count(),
            func.max(IssuedCodeRow.valid_until),
            func.count(func.distinct(IssuedCodeRow.person_id)),
        ).where(*_live(kid, now))  # type: ignore[arg-type]
    ).one()
    kinds = session.execute(
        select(IssuedCodeRow.kind, func.count())
        .where(*_live(kid, now))  # type: ignore[arg-type]
        .group_by(IssuedCodeRow.kind)
    ).all()
    return LiveCodes(kid=kid, count=int(count), last_valid_until=last, persons=int(persons),
                     by_kind={str(k): int(n) for k, n in kinds})  # fmt: skip


def record_grant(
    session: Session, *, jti: str, subject: str, kid: str, kind: str, issued_at: datetime,
    valid_until: datetime, issued_by: str,
) -> None:  # fmt: skip
    """A visitor or pass code, recorded by the approval that issued it."""
    session.add(IssuedCodeRow(jti=jti, person_id=subject[:128], kid=kid, kind=kind,
                              issued_at=issued_at, valid_until=valid_until,
                              issued_by=issued_by[:64], revoked_at=None))  # fmt: skip


def live_subjects(session: Session, *, kid: str, now: datetime, kind: str = "id") -> list[str]:
    """The people holding a live code of ``kind`` signed by ``kid`` (to re-issue theirs)."""
    query = (
        select(IssuedCodeRow.person_id)
        .where(*_live(kid, now), IssuedCodeRow.kind == kind)  # type: ignore[arg-type]
        .distinct()
        .order_by(IssuedCodeRow.person_id)
    )
    return list(session.scalars(query))
