"""Commands from the central side: ``open``, ``lockdown``, ``release``, ``sync``, ``vehicle``.

``open`` lets one person through (refused while locked down), ``lockdown`` locks
the turnstile until ``release``, ``sync`` calls the sync hooks (the snapshot
request), ``vehicle`` (a guard on a kiosk) announces a vehicle at a vehicle lane.
The lane republishes its status after every command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.agent.barrier import Barrier
from gateway.agent.config import AgentStats
from gateway.agent.vehicles import VehicleLane
from schemas.messages import Command

log = logging.getLogger(__name__)


def carry_out(
    command: Command,
    *,
    gate: str,
    barrier: Barrier,
    vehicles: VehicleLane,
    stats: AgentStats,
    on_sync: list[Callable[[], None]],
) -> None:
    stats.commands += 1
    log.info(
        "gate %s: command %s by %s (%s)",
        gate,
        command.command,
        command.issued_by,
        command.reason or "no reason given",
    )
    if command.command == "open":
        if barrier.locked:
            log.warning("gate %s: open refused while locked down", gate)
        else:
            barrier.pulse()
    elif command.command == "lockdown":
        barrier.lock()
    elif command.command == "release":
        barrier.release()
    elif command.command == "sync":
        for hook in on_sync:
            hook()
    elif command.command == "vehicle" and command.vehicle is not None:
        vehicles.begin(command.vehicle.plate, command.vehicle.occupants)
