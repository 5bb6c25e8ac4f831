"""Never lose a passage: the durable outbox and the uplink that forwards from it.

- :mod:`.store`   ``Outbox``: SQLite (WAL, synchronous FULL) FIFO keyed by event_id
- :mod:`.uplink`  ``OutboxUplink``: writes before publishing, forwards the backlog in
  order at a bounded rate, re-sends what stays unanswered, forgets on the answer
"""

from gateway.outbox.store import Outbox, OutboxError
from gateway.outbox.uplink import OutboxUplink

__all__ = ["Outbox", "OutboxError", "OutboxUplink"]
