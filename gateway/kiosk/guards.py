"""Signing a guard in at the gate: the snapshot's password hashes, a limit, sessions.

The snapshot carries the argon2id hashes of this gate's own guards (never another
gate's), so a sign-in works with the centre away.  After ``MAX_FAILURES`` wrong
passwords within ``FAILURE_WINDOW_S`` for one name, or from one address, further
attempts are refused unchecked until the window has passed.  Sessions live in memory
(the agent restarting signs everyone out), end after ``SESSION_S``, and end at once
when the guard is no longer in the snapshot.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kernel.clock import Monotonic
from schemas.snapshot import SnapshotGuard

MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
SESSION_S = 12 * 3600.0
MAX_SESSIONS = 64
MAX_PASSWORD = 256
MAX_USERNAME = 64

_HASHER = PasswordHasher()
# Checked when the name is unknown, so an unknown name costs what a wrong password does.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


class TooManyAttempts(Exception):
    """Sign-in refused unchecked: too many failures for this name or address."""


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    csrf: str
    expires: float
    lang: str


class Limiter:
    """Failures per key (a name, an address) within a sliding window."""

    def __init__(self, monotonic: Monotonic) -> None:
        self.monotonic = monotonic
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, *keys: str) -> bool:
        now = self.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= MAX_FAILURES for key in keys)

    def failed(self, *keys: str) -> None:
        now = self.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque(maxlen=MAX_FAILURES))
        while times and now - times[0] >= FAILURE_WINDOW_S:
            times.popleft()
        return times


class GuardBook:
    """Who may sign in here (from the snapshot held now), and the open sessions."""

    def __init__(self, guards: Callable[[], list[SnapshotGuard]], monotonic: Monotonic) -> None:
        self.guards = guards
        self.monotonic = monotonic
        self.limiter = Limiter(monotonic)
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def sign_in(self, username: str, password: str, remote: str, lang: str) -> tuple[str, Session]:
        """A new session (token, session) or ValueError; TooManyAttempts when limited."""
        keys = (f"user:{username[:MAX_USERNAME]}", f"remote:{remote}")
        if self.limiter.blocked(*keys):
            raise TooManyAttempts
        if not self._password_ok(username, password):
            self.limiter.failed(*keys)
            raise ValueError("wrong name or password")
        token = secrets.token_urlsafe(32)
        session = Session(username, secrets.token_urlsafe(32), self.monotonic() + SESSION_S, lang)
        with self._lock:
            self._sessions[token] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return token, session

    def _password_ok(self, username: str, password: str) -> bool:
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            return False
        hashed = self._hashes().get(username)
        try:
            return _HASHER.verify(hashed or _DUMMY, password) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False

    def _hashes(self) -> dict[str, str]:
        return {guard.username: guard.password_hash for guard in self.guards()}

    def session(self, token: str | None) -> Session | None:
        """The live session of ``token``: not expired, its guard still in the snapshot."""
        if not token:
            return None
        with self._lock:
            found = next(
                (s for t, s in self._sessions.items() if hmac.compare_digest(t, token)), None
            )
        if found is None or found.expires <= self.monotonic():
            return None
        if found.username not in self._hashes():
            return None
        return found

    def set_lang(self, token: str, lang: str) -> None:
        with self._lock:
            found = self._sessions.get(token)
            if found is not None:
                self._sessions[token] = Session(found.username, found.csrf, found.expires, lang)

    def sign_out(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)
