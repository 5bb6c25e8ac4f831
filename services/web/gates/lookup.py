"""The kiosk's look-up (issue 15, build 6): a guard finds the person in front of them by
学号/工号 or name, sees their photo and masked ID, and sends a passage for them.

Only at the guard's own gate, only people allowed through it, a handful per query
(:mod:`services.roster.search`); every look-up is in the audit log, and the log is the
rate limit: past :data:`LOOKUPS_PER_WINDOW` in :data:`LOOKUP_WINDOW` (or
:data:`LOOKUPS_PER_DAY` in a day) a guard is refused, so nobody can page through the
roster.  A result names its person by ``ref``, a sealed token (Fernet under the
session secret) bound to the gate and the guard and good for :data:`REF_TTL_S`
seconds: the guard's view never holds the person id, yet can send a passage for them.
The passage is an ordinary one from this lane (the way its last passage went), its
credential ``manual`` with the person id and the guard's handheld reading; the central
decides it like any other, so the site's policy must accept plain IDs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from schemas.topics import GateChannel, gate_topic
from services.policy.store import stored_policy
from services.roster.photos import person_photo
from services.roster.search import allowed_at_gate, find_for_gate
from services.storage.audit_log import log_action
from services.storage.models import AuditLogRow, EntryRow
from services.web.api.models import PassageSent
from services.web.auth.roles import Permission, Principal
from services.web.context import Outbound, WebContext
from services.web.errors import Conflict, Forbidden, NotFound, RateLimited
from services.web.gates.service import HANDHELD_SENSOR

LOOKUP_WINDOW = timedelta(minutes=10)
LOOKUPS_PER_WINDOW = 30
LOOKUPS_PER_DAY = 200
REF_TTL_S = 300
LOOKUP_ACTION = "kiosk.lookup"


class LookupResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    name: str
    kind: str
    unit: str
    class_name: str
    masked_person_id: str
    masked_id: str
    has_photo: bool


def _fernet(ctx: WebContext) -> Fernet:
    key = hashlib.sha256(b"campusgate kiosk lookup ref\n" + ctx.secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(ctx: WebContext, principal: Principal, gate: str, person_id: str) -> str:
    payload = {"p": person_id, "g": gate, "u": principal.username}
    return _fernet(ctx).encrypt(json.dumps(payload).encode()).decode()


def opened_ref(ctx: WebContext, principal: Principal, gate: str, ref: str) -> str:
    """The person id a ``ref`` names, if it was given to this guard at this gate, recently."""
    try:
        payload = json.loads(_fernet(ctx).decrypt(ref.encode(), ttl=REF_TTL_S))
    except (InvalidToken, ValueError) as exc:
        raise Conflict("lookup_expired", "look the person up again") from exc
    if payload.get("g") != gate or payload.get("u") != principal.username:
        raise Forbidden("forbidden_gate", "that look-up was made elsewhere")
    return str(payload["p"])


def _check_rate(session: Session, principal: Principal, now: datetime) -> None:
    def since(start: datetime) -> int:
        return session.scalar(select(func.count()).select_from(AuditLogRow).where(
            AuditLogRow.actor == principal.username, AuditLogRow.action == LOOKUP_ACTION,
            AuditLogRow.at > start,
        )) or 0  # fmt: skip

    if since(now - LOOKUP_WINDOW) >= LOOKUPS_PER_WINDOW:
        raise RateLimited(int(LOOKUP_WINDOW.total_seconds()), "lookup_limit")
    if since(now - timedelta(days=1)) >= LOOKUPS_PER_DAY:
        raise RateLimited(int(timedelta(days=1).total_seconds()), "lookup_limit")


def lookup(
    session: Session, ctx: WebContext, principal: Principal, gate: str, query: str
) -> list[LookupResult]:
    """The people a query finds at ``gate``; logged (and counted) whatever it finds."""
    principal.require_gate(Permission.GATE_LANE, gate)
    now = ctx.now()
    _check_rate(session, principal, now)
    found = find_for_gate(session=session, gate=gate, query=query)
    log_action(session, at=now, actor=principal.username, role=principal.role,
               action=LOOKUP_ACTION, target=gate, count=len(found),
               params={"query": query[:64], "found": [f.person_id for f in found]})  # fmt: skip
    masker = principal.masker()
    return [
        LookupResult(
            ref=_seal(ctx, principal, gate, f.person_id),
            name=masker.name(f.name) or "",
            kind=f.kind,
            unit=f.unit,
            class_name=f.class_name,
            masked_person_id=masker.person_id(f.person_id) or "",
            masked_id=f.masked_id,
            has_photo=f.has_photo,
        )
        for f in found
    ]


def lookup_photo(
    session: Session, ctx: WebContext, principal: Principal, gate: str, ref: str
) -> bytes:
    principal.require_gate(Permission.GATE_LANE, gate)
    found = person_photo(session, opened_ref(ctx, principal, gate, ref), thumb=True)
    if found is None:
        raise NotFound("no_photo", "no photo")
    return found


def _lane_direction(session: Session, ctx: WebContext, gate: str) -> Literal["in", "out"]:
    """The way this lane's last passage went (a gate lane is one way); ``in`` before any."""
    last = session.scalar(
        select(EntryRow.direction).where(EntryRow.site == ctx.site, EntryRow.gate == gate)
        .order_by(EntryRow.ts.desc()).limit(1)
    )  # fmt: skip
    return "out" if last == "out" else "in"


def manual_passage(
    session: Session, ctx: WebContext, principal: Principal, gate: str, *,
    ref: str, celsius: Decimal, mask: bool | None,
) -> tuple[PassageSent, list[Outbound]]:  # fmt: skip
    """A passage for the person looked up: a ``manual`` credential and the handheld reading."""
    principal.require_gate(Permission.GATE_LANE, gate)
    ctx.require_broker()
    person_id = opened_ref(ctx, principal, gate, ref)
    policy = stored_policy(session=session, site=ctx.site)
    if policy is None or not policy.accept_plain_ids:
        raise Conflict("plain_ids_refused", "the site's policy does not accept typed IDs")
    if not allowed_at_gate(session=session, gate=gate, person_id=person_id):
        raise NotFound("person_not_found", "no such person at this gate")
    now = ctx.now()
    passage = Passage(
        event_id=uuid7(), site=ctx.site, gate=gate, direction=_lane_direction(session, ctx, gate),
        ts=now,
        credentials=[Credential(kind="manual", data=person_id)],
        temperature=Temperature(celsius=celsius, sensor=HANDHELD_SENSOR, measured_at=now),
        mask=mask,
    )  # fmt: skip
    topic = gate_topic(passage.site, passage.gate, GateChannel.PASSAGE)
    sent = PassageSent(event_id=str(passage.event_id), recheck_of="")
    outbound = [Outbound(topic, passage.model_dump_json().encode())]
    log_action(session, at=now, actor=principal.username, role=principal.role,
               action="gate.manual_passage", target=f"{gate}/{sent.event_id}",
               params={"person_id": person_id, "celsius": str(celsius)})  # fmt: skip
    return sent, outbound
