"""Gate state for the pages, commands from the office, and the kiosk's lane actions.

Lane actions never decide anything themselves: a manual re-measure and a "no
mask" mark are published as a new :class:`Passage` (``recheck_of`` the passage
on screen, same credentials) and the central service decides it like any other.
A manual override is a ``Command`` ``open`` with the guard's written reason,
logged in ``gate_commands`` (who, why, when, which passage); a fever or other
isolation decision cannot be overridden at the lane.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from schemas.ids import uuid7
from schemas.messages import Command, Decision, Passage, Temperature, VehicleAnnouncement
from schemas.messages import CommandName as WireCommand
from schemas.topics import GateChannel, gate_topic
from services.storage import repository
from services.storage.audit_log import log_action
from services.web.api.models import (
    CommandName,
    CommandView,
    DeviceView,
    GateDetail,
    GateView,
    PassageSent,
    PassageView,
    SnapshotView,
)
from services.web.auth.roles import Permission, Principal
from services.web.context import Outbound, WebContext
from services.web.errors import Conflict, NotFound
from services.web.gates import store
from services.web.live.events import PassageFacts, decision_data, with_person_id_masked
from services.web.live.feed import KnownStatus

HANDHELD_SENSOR = "handheld"
# An override opens the gate for the person at the lane now: their passage is minutes old.
OVERRIDE_WINDOW = timedelta(minutes=5)
KIOSK_RECENT = 12
KIOSK_COMMANDS = 5


def day_start(ctx: WebContext, now: datetime) -> datetime:
    local = now.astimezone(ctx.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def known_gates(session: Session, ctx: WebContext) -> set[str]:
    gates = set(ctx.settings.web.gates)
    gates.update(ctx.feed.statuses())
    gates.update(store.gates_in_db(session=session, site=ctx.site))
    return gates


def _gate_view(
    gate: str,
    known: KnownStatus | None,
    locked: tuple[datetime, str] | None,
    counts: tuple[int, int],
    now: datetime,
) -> GateView:
    status = known.status if known else None
    snapshot = None
    if status is not None and status.snapshot is not None:
        taken = status.snapshot.taken_at
        snapshot = SnapshotView(
            version=status.snapshot.version,
            checksum=status.snapshot.checksum,
            taken_at=taken,
            age_s=max(0.0, (now - taken).total_seconds()),
        )
    return GateView(
        gate=gate,
        online=status.online if status else None,
        mode=status.mode if status else None,
        screening=status.screening if status else None,
        lane=status.lane if status else None,
        status_at=status.ts if status else None,
        devices=[
            DeviceView(name=name, state=health.state, detail=health.detail)
            for name, health in sorted((status.devices if status else {}).items())
        ],
        snapshot=snapshot,
        outbox=status.outbox if status else 0,
        locked=locked is not None,
        locked_at=locked[0] if locked else None,
        locked_by=locked[1] if locked else None,
        today=counts[0],
        last_hour=counts[1],
    )


def gate_views(
    session: Session, ctx: WebContext, principal: Principal, now: datetime, gates: set[str]
) -> list[GateView]:
    visible = principal.visible_gates(gates)
    locked = store.locked_gates(session=session, site=ctx.site)
    counted = store.counts(
        session=session,
        site=ctx.site,
        gates=visible,
        today=day_start(ctx, now),
        hour=now - timedelta(hours=1),
    )
    statuses = ctx.feed.statuses()
    return [
        _gate_view(g, statuses.get(g), locked.get(g), counted.get(g, (0, 0)), now) for g in visible
    ]


def list_gates(
    session: Session, ctx: WebContext, principal: Principal, now: datetime
) -> list[GateView]:
    principal.require(Permission.GATE_VIEW)
    return gate_views(session, ctx, principal, now, known_gates(session, ctx) | principal.gates)


def passage_view(entry: store.StoredEntry, principal: Principal) -> PassageView:
    """A stored passage as ``principal`` may see it (person ids masked by role)."""
    decision = Decision.model_validate_json(entry.decision_json)
    passage = Passage.model_validate_json(entry.passage_json)
    data = decision_data(decision, PassageFacts.of(passage))
    if not principal.masker().view.person_ids:
        data = with_person_id_masked(data)
    return PassageView.model_validate(data)


def command_view(log: store.CommandLog) -> CommandView:
    return CommandView(
        command_id=log.command_id,
        gate=log.gate,
        command=log.command,
        issued_by=log.issued_by,
        reason=log.reason,
        override_of=log.override_of,
        at=log.at,
    )


def gate_detail(
    session: Session, ctx: WebContext, principal: Principal, gate: str, now: datetime
) -> GateDetail:
    principal.require_gate(Permission.GATE_VIEW, gate)
    [view] = gate_views(session, ctx, principal, now, {gate})
    recent = store.recent_entries(session=session, site=ctx.site, gate=gate, limit=KIOSK_RECENT)
    commands = store.recent_commands(
        session=session, site=ctx.site, gates=[gate], limit=KIOSK_COMMANDS
    )
    return GateDetail(
        gate=view,
        recent=[passage_view(e, principal) for e in recent],
        commands=[command_view(c) for c in commands],
    )


def _command(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    name: WireCommand,
    reason: str,
    now: datetime,
    override_of: uuid.UUID | None = None,
    vehicle: VehicleAnnouncement | None = None,
) -> tuple[CommandView, list[Outbound]]:
    if name in ("lockdown", "release"):
        # The central service reads lock state from here: a lockdown denies at once.
        repository.set_gate_locked(
            session=session,
            site=ctx.site,
            gate=gate,
            locked=name == "lockdown",
            by=principal.username,
            at=now,
        )
    command = Command(
        command_id=uuid7(),
        site=ctx.site,
        gate=gate,
        command=name,
        issued_by=principal.username,
        reason=reason,
        ts=now,
        vehicle=vehicle,
    )
    log = store.CommandLog(
        command_id=str(command.command_id),
        gate=gate,
        command=name,
        issued_by=principal.username,
        reason=reason,
        override_of=str(override_of) if override_of else None,
        at=now,
    )
    store.insert_command(session=session, log=log, site=ctx.site)
    topic = gate_topic(ctx.site, gate, GateChannel.COMMAND)
    return command_view(log), [Outbound(topic, command.model_dump_json().encode())]


def command_gate(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    name: CommandName,
    reason: str,
    now: datetime,
) -> tuple[CommandView, list[Outbound]]:
    principal.require(Permission.GATE_COMMAND)
    return _command(session, ctx, principal, gate, name=name, reason=reason, now=now)


def _original(
    session: Session, ctx: WebContext, gate: str, event_id: uuid.UUID
) -> store.StoredEntry:
    found = store.entry(session=session, site=ctx.site, event_id=event_id)
    if found is None or found.gate != gate:
        raise NotFound("passage_not_found", f"no passage {event_id} at gate {gate}")
    return found


def _recent(
    session: Session, ctx: WebContext, gate: str, event_id: uuid.UUID, now: datetime
) -> store.StoredEntry:
    """A passage of this gate decided in the last minutes: the person still at the lane.

    An override, a re-measure or a no-mask mark acts on the person in front of the
    guard; on an old passage a "re-measure" of 38.2 C would isolate someone who left
    long ago, everywhere.
    """
    original = _original(session, ctx, gate, event_id)
    if not now - OVERRIDE_WINDOW <= original.received_at <= now + OVERRIDE_WINDOW:
        raise Conflict(
            "passage_not_recent",
            f"passage {event_id} was not decided in the last {OVERRIDE_WINDOW.seconds // 60} min",
        )
    return original


def recent_passage(
    session: Session, ctx: WebContext, gate: str, event_id: uuid.UUID, now: datetime
) -> store.StoredEntry:
    """The passage on screen at ``gate`` (decided in the last minutes), for lane actions."""
    return _recent(session, ctx, gate, event_id, now)


def gate_passage(
    session: Session, ctx: WebContext, gate: str, event_id: uuid.UUID
) -> store.StoredEntry:
    """A passage of ``gate`` (any age), or NotFound."""
    return _original(session, ctx, gate, event_id)


def _recheck(original: Passage, now: datetime, **changes: object) -> Passage:
    fields: dict[str, object] = {
        "event_id": uuid7(),
        "site": original.site,
        "gate": original.gate,
        "direction": original.direction,
        "ts": now,
        "credentials": original.credentials,
        "temperature": original.temperature,
        "mask": original.mask,
        "vehicle": original.vehicle,
        "recheck_of": original.event_id,
    }
    fields.update(changes)
    return Passage.model_validate(fields)


def _send(passage: Passage) -> tuple[PassageSent, list[Outbound]]:
    topic = gate_topic(passage.site, passage.gate, GateChannel.PASSAGE)
    sent = PassageSent(event_id=str(passage.event_id), recheck_of=str(passage.recheck_of))
    return sent, [Outbound(topic, passage.model_dump_json().encode())]


def remeasure(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    event_id: uuid.UUID,
    celsius: Decimal,
    now: datetime,
) -> tuple[PassageSent, list[Outbound]]:
    """The guard's handheld reading, as a new passage re-checking the one on screen.

    Only for a recent passage of this lane, and logged with the guard's name."""
    principal.require_gate(Permission.GATE_LANE, gate)
    ctx.require_broker()
    stored = _recent(session, ctx, gate, event_id, now)
    original = Passage.model_validate_json(stored.passage_json)
    temperature = Temperature(celsius=celsius, sensor=HANDHELD_SENSOR, measured_at=now)
    sent = _send(_recheck(original, now, temperature=temperature))
    _log_lane_action(session, principal, "gate.remeasure", gate, stored, sent[0], now,
                     celsius=str(celsius))  # fmt: skip
    return sent


def no_mask(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    event_id: uuid.UUID,
    now: datetime,
) -> tuple[PassageSent, list[Outbound]]:
    """The guard saw no mask: the passage on screen again, with ``mask: false``."""
    principal.require_gate(Permission.GATE_LANE, gate)
    ctx.require_broker()
    stored = _recent(session, ctx, gate, event_id, now)
    original = Passage.model_validate_json(stored.passage_json)
    sent = _send(_recheck(original, now, mask=False))
    _log_lane_action(session, principal, "gate.no_mask", gate, stored, sent[0], now)
    return sent


def _log_lane_action(  # noqa: PLR0917 - who, what, where, on which passage, with what result
    session: Session,
    principal: Principal,
    action: str,
    gate: str,
    original: store.StoredEntry,
    sent: PassageSent,
    now: datetime,
    **params: object,
) -> None:
    """The guard's hand on a passage, in the audit log: the new passage is theirs."""
    log_action(session, at=now, actor=principal.username, role=principal.role, action=action,
               target=f"{gate}/{original.event_id}",
               params={"new_event_id": sent.event_id, **params})  # fmt: skip


def override(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    event_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> tuple[CommandView, list[Outbound]]:
    """Open the gate by hand with a written reason, for a passage of this gate decided in
    the last minutes (the person at the lane); logged with the guard's name."""
    principal.require_gate(Permission.GATE_LANE, gate)
    original = _recent(session, ctx, gate, event_id, now)
    if original.decision == "isolate":
        raise Conflict("isolate_not_overridable", "fever and isolation go to the clinic")
    return _command(
        session, ctx, principal, gate, name="open", reason=reason, now=now, override_of=event_id
    )


def announce_vehicle(
    session: Session,
    ctx: WebContext,
    principal: Principal,
    gate: str,
    *,
    plate: str,
    occupants: int,
    now: datetime,
) -> tuple[CommandView, list[Outbound]]:
    """The guard announces a vehicle at their vehicle lane: each occupant is screened and
    the barrier opens once all are admitted (the gate keeps that rule)."""
    principal.require_gate(Permission.GATE_LANE, gate)
    vehicle = VehicleAnnouncement(plate=plate, occupants=occupants)
    return _command(
        session,
        ctx,
        principal,
        gate,
        name="vehicle",
        reason=f"{plate} x{occupants}",
        now=now,
        vehicle=vehicle,
    )


def recent_commands(
    session: Session, ctx: WebContext, principal: Principal, limit: int
) -> list[CommandView]:
    principal.require(Permission.DASHBOARD_VIEW)
    return [
        command_view(c)
        for c in store.recent_commands(session=session, site=ctx.site, gates=None, limit=limit)
    ]
