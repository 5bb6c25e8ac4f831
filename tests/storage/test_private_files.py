"""Files holding people's data are created 0600, whatever the umask (issue 14, Medium 10).

The central's SQLite database (and its -wal and -shm files), a gate's outbox and
its snapshot were created 0644 under the usual umask 022: readable by every
local account.  The real commands and components create them here.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.outbox import Outbox
from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from services.storage.engine import make_engine
from tests.fixtures.processes import ROOT


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of a default login, so 0600 is the code's doing, not the test runner's."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_made_by_db_upgrade_and_its_wal_are_private(tmp_path: Path) -> None:
    db = tmp_path / "var" / "campusgate.db"
    subprocess.run(
        [sys.executable, "-m", "services.cli.main", "db", "upgrade", "--db", f"sqlite:///{db}"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert mode(db) == 0o600
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as connection:  # a write, while open: -wal and -shm exist
            connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
            assert wal.exists()
            assert shm.exists()
            assert (mode(wal), mode(shm)) == (0o600, 0o600)
    finally:
        engine.dispose()


def test_a_gates_outbox_is_private(tmp_path: Path) -> None:
    path = tmp_path / "gate" / "outbox.db"
    outbox = Outbox(path)
    now = datetime.now(UTC)
    outbox.add(
        Passage(
            event_id=uuid7(), site="main", gate="north-1", direction="in", ts=now,
            credentials=[Credential(kind="card", data="2021001")],
            temperature=Temperature(celsius=Decimal("36.5"), sensor="ir-0", measured_at=now),
            mask=True,
        )
    )  # fmt: skip
    assert mode(path) == 0o600
    assert mode(Path(f"{path}-wal")) == 0o600
    outbox.close()
