"""Helpers shared by the administration command groups (database, actor, progress, times,
and the words and clock of what they print: ``--lang`` on every command, :class:`Say`)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from kernel.localtime import Timespec, local_iso, site_zone
from ui.i18n import Lang, lang_arg, reasons_text, t, word
from ui.records import value_text

DEFAULT_DB = "sqlite:///var/campusgate.db"
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help=f"database URL (env CAMPUSGATE_DB__URL, "
                        f"default {DEFAULT_DB})")  # fmt: skip


def add_actor(parser: argparse.ArgumentParser, *, role: str | None = None) -> None:
    parser.add_argument("--by", default=None, help="who does this (default: your login name)")
    if role is not None:
        parser.add_argument("--role", default=role, choices=[
            "admin", "security", "guard", "clinic", "auditor", "report"
        ], help=f"whose view of names and numbers (default {role})")  # fmt: skip


def register_in_reach(args: argparse.Namespace, what: str) -> None:
    """Refuse to use a register of issued codes made up on the spot: without --db (or
    CAMPUSGATE_DB__URL) the default SQLite file must exist already; otherwise an operator
    whose database is PostgreSQL would record codes, or count them, in an empty new file."""
    if args.db or os.environ.get("CAMPUSGATE_DB__URL"):
        return
    if not os.path.exists(DEFAULT_DB.removeprefix("sqlite:///")):
        raise ConfigError(f"{what} in the register of issued codes: give --db URL "
                          "(or CAMPUSGATE_DB__URL)")  # fmt: skip


def db_url(args: argparse.Namespace) -> str:
    return str(args.db or os.environ.get("CAMPUSGATE_DB__URL", DEFAULT_DB))


def actor(args: argparse.Namespace) -> str:
    if getattr(args, "by", None):
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@contextmanager
def session_scope(args: argparse.Namespace, *, write: bool = True) -> Iterator[Session]:
    """A session in one transaction, on a database migrated to the newest schema.

    Migrating an up-to-date database only reads its revision, so read-only
    commands (``write=False``) do it too: a fresh database answers "nothing yet".
    """
    from services.storage.engine import make_engine, upgrade

    url = db_url(args)
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        engine.dispose()


class Say:
    """The words and the clock of one command's output: its language, the site's zone."""

    def __init__(self, lang: Lang, tz: ZoneInfo) -> None:
        self.lang = lang
        self.tz = tz

    def __call__(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

    def time(self, value: datetime | None, timespec: Timespec = "seconds") -> str:
        """A stored time on the site's wall clock with its offset (``-`` for none)."""
        return "-" if value is None else local_iso(value, self.tz, timespec=timespec)

    def word(self, family: str, value: str) -> str:
        return word(self.lang, family, value)

    def reasons(self, codes: Iterable[str]) -> str:
        return reasons_text(self.lang, codes) or "-"


def print_fields(fields: dict[str, object], words: Say) -> None:
    """A record field by field (``show`` commands): names and values in the asked language,
    times on the site's clock."""
    for key, value in fields.items():
        name = words.word("field", key)
        shown = value_text(words.lang, key, value, words.tz)
        print(words("cli.field", key=f"{name:>20}", value=shown))


def say(args: argparse.Namespace) -> Say:
    """What ``args`` asks: ``--lang`` (else the site's language), ``--tz`` (else the site's)."""
    return Say(lang_arg(getattr(args, "lang", None)), site_zone(getattr(args, "tz", None)))


def parse_when(text: str, *, end: bool = False) -> datetime:
    """An ISO date (local midnight; with end=True the next midnight) or an aware date-time."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + (timedelta(days=1) if end else timedelta())
            return datetime.combine(day, datetime.min.time(), tzinfo=site_zone())
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"bad date or time {text!r} (2026-11-24 or 2026-11-24T08:00+08:00)"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=site_zone())


def parse_duration(text: str) -> timedelta:
    value, unit = text[:-1], text[-1:]
    if unit not in DURATION_UNITS or not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"bad duration {text!r}: a number and s, m, h or d (e.g. 30m)")
    return timedelta(seconds=int(value) * DURATION_UNITS[unit])


def now() -> datetime:
    return datetime.now(UTC)


class ProgressBar:
    """``done/total`` on one refreshed stderr line, at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        now_s = time.monotonic()
        if now_s - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now_s
        rate = done / max(now_s - self._start, 1e-6)
        if total:
            width = 30
            filled = min(width, width * done // max(total, 1))
            bar = "#" * filled + "." * (width - filled)
            text = f"\r{self.label} [{bar}] {done:,}/{total:,} ({100 * done // max(total, 1)}%)"
        else:
            text = f"\r{self.label} {done:,}"
        self.stream.write(f"{text} {rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def wants_progress(flag: bool) -> bool:
    return flag or sys.stderr.isatty()
