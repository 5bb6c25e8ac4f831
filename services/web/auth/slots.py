"""A bound on password checks running at once.

argon2id, as configured, takes 64 MiB of memory for each check; forty sign-ins at once
took the web service from 481 to 1,444 MiB (its unit caps it at 512 MB).  A check needs a
slot; when none is free the sign-in is answered 429 at once (never queued: a queue is
memory too).  Users signing in from a device they used before have slots of their own,
so a storm of guesses from elsewhere cannot keep them out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from services.web.errors import RateLimited

BUSY_RETRY_S = 1


class HashSlots:
    def __init__(self, anonymous: int, known_devices: int) -> None:
        self._slots = {
            False: threading.BoundedSemaphore(anonymous),
            True: threading.BoundedSemaphore(known_devices),
        }

    @contextlib.contextmanager
    def hold(self, *, known_device: bool) -> Iterator[None]:
        """A slot for one password check, or RateLimited("login_busy") when none is free."""
        slot = self._slots[known_device]
        if not slot.acquire(blocking=False):
            raise RateLimited(BUSY_RETRY_S, "login_busy")
        try:
            yield
        finally:
            slot.release()
