"""Retiring a code-signing key without locking people out (issue 15, Build 5).

``keys retire`` used to delete a key at once, and with it every card printed with
it minutes before.  Now the register of issued codes is asked first:

- no live code of the key: it is retired as asked (outright, or at ``--at``);
- live codes the retirement would cut (it comes before the last one expires):
  refused (:class:`Refused`), naming how many and until when, unless ``force``;
- with ``force``: the private key goes now (it signs nothing more) and the public
  key keeps verifying until the last live code expires (the grace), at the
  central workers and, through the snapshot's retirement times, at the gates
  offline; ``no_grace`` (a leaked key) cuts them now instead.

Every retirement is in the audit log with the count, the grace and whether it
was forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from kernel.codes import retire_key
from kernel.codes.keys import active_kid
from kernel.errors import ConfigError, Refused
from services.storage.audit_log import log_action
from services.storage.issued_codes import LiveCodes, live_codes


@dataclass(frozen=True, slots=True)
class Retirement:
    kid: str
    live: LiveCodes
    at: datetime | None  # None: outright, now
    grace: bool  # at was moved to the last live code's expiry
    forced: bool


def _check_retirable(directory: Path, kid: str) -> None:
    if kid == active_kid(directory):
        raise ConfigError(f"{kid} is the active key; make a new one before retiring it")
    if not (directory / f"{kid}.pub").exists():
        raise ConfigError(f"no key {kid} in force in {directory}")


def plan(
    session: Session, *, directory: Path, kid: str, now: datetime, at: datetime | None,
    force: bool, no_grace: bool,
) -> Retirement:  # fmt: skip
    """What retiring ``kid`` would do; raises Refused where it would cut live codes."""
    _check_retirable(directory, kid)
    live = live_codes(session, kid=kid, now=now)
    last = live.last_valid_until
    cuts = last is not None and (at is None or at < last)
    if cuts and not force:
        raise Refused(
            f"{live.count} live code(s) ({live.kinds()}) of {live.persons} holder(s) were "
            f"signed by {kid}, the last valid until {last.isoformat() if last else ''}: "
            f"re-issue the ID codes (campusgate code cards --reissue-from {kid}) or retire "
            "with --force (it then verifies until that code expires)"
        )
    grace = cuts and force and not no_grace and at is None
    return Retirement(
        kid=kid, live=live, at=last if grace else at, grace=grace, forced=cuts and force
    )


def retire(
    session: Session, *, directory: Path, kid: str, now: datetime, actor: str,
    at: datetime | None = None, force: bool = False, no_grace: bool = False,
) -> Retirement:  # fmt: skip
    """Plan, retire the key in ``directory`` and log it; the audit row commits with the
    caller's transaction (the key files change first: a refusal changes nothing)."""
    done = plan(session, directory=directory, kid=kid, now=now, at=at, force=force,
                no_grace=no_grace)  # fmt: skip
    retire_key(directory, kid, at=done.at)
    log_action(
        session, at=now, actor=actor, action="key.retire", target=kid,
        count=done.live.count,
        params={
            "live_codes": done.live.count, "persons": done.live.persons,
            "kinds": done.live.by_kind,
            "forced": done.forced, "grace_until": done.at if done.grace else None,
            "retires_at": done.at or now, "no_grace": no_grace,
        },
    )  # fmt: skip
    return done
