"""Commands from the security office: ``open``, ``lockdown``, ``release``, ``sync``.

``open`` lets one person through (refused while locked down), ``lockdown`` locks
the turnstile until ``release``, ``sync`` calls the sync hooks (the snapshot
request).  The lane republishes its status after every command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.agent.barrier import Barrier
from gateway.agent.config import AgentStats
from schemas.messages import Command

log = logging.getLogger(__name__)


def carry_out(
    command: Command,
    *,
    gate: str,
    barrier: Barrier,
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
