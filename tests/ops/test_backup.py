"""``campusgate backup`` under load, ``campusgate restore`` into a fresh database, and the
restored chain verifies; hostile or damaged archives are refused."""

from __future__ import annotations

import io
import json
import re
import stat
import tarfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from services.audit.chain import chain_head, seal_all
from services.backup.service import backup, restore
from services.central.worker import CentralWorker
from services.cli.main import main
from services.storage.engine import make_engine
from services.storage.models import EntryRow
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.db import PG_SERVER
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mqtt


@pytest.fixture
def fresh_db(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"campusgate_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_SERVER.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manifest_of(path: Path) -> dict[str, object]:
    with tarfile.open(path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest: dict[str, object] = json.loads(member.read())
        return manifest


def seal_and_count(url: str) -> int:
    engine = make_engine(url)
    try:
        seal_all(sessions=lambda: Session(engine), now=lambda: datetime.now(UTC))
        with Session(engine) as session:
            return chain_head(session=session).seq
    finally:
        engine.dispose()


def entries(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(EntryRow)) or 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_backup_taken_under_load_restores_and_its_chain_verifies(
    central: CentralWorker,
    gate: DecisionClient,
    campus_db: str,
    campus: Campus,
    site: str,
    fresh_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = threading.Event()
    answered: list[uuid.UUID] = []

    def load() -> None:
        while not stop.is_set():
            sent = passage(site, long_lived(campus, len(answered) % 5))
            if gate.request(sent) is not None:
                answered.append(sent.event_id)

    flowing = threading.Thread(target=load, name="load")
    flowing.start()
    try:
        while len(answered) < 30:  # passages flowing before, during and after the copy
            stop.wait(0.01)
        # Entries are sealed once a second old (SEAL_GRACE); the load goes on meanwhile.
        assert wait_until(lambda: seal_and_count(campus_db) >= 30)
        mark = len(answered)
        while len(answered) < mark + 10:  # and some not sealed yet when the copy is taken
            stop.wait(0.01)
        out = tmp_path / "site.cgbackup"
        assert main(["backup", "--db", campus_db, "--out", str(out),
                     "--keys", str(campus.keys_dir)]) == 0  # fmt: skip
        during = len(answered)
        while len(answered) < during + 20:
            stop.wait(0.01)
    finally:
        stop.set()
        flowing.join()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    manifest = manifest_of(out)
    assert manifest["entries"] >= 30
    keys = tmp_path / "restored-keys"
    assert main(["restore", str(out), "--db", fresh_db, "--keys", str(keys)]) == 0
    restored = entries(fresh_db)
    assert manifest["entries"] <= restored < entries(campus_db)  # a snapshot, taken mid-flow
    assert sorted(p.name for p in keys.iterdir()) == sorted(
        p.name for p in campus.keys_dir.iterdir() if p.is_file()
    )
    capsys.readouterr()
    assert main(["audit", "verify", "--db", fresh_db]) == 0
    said = capsys.readouterr().out
    assert "OK: the entry log is intact" in said, said
    sealed = int(str(manifest["chain_head"]).split(":")[0])
    assert sealed >= 30
    chain = re.search(r"chain: (\d+) sealed, (\d+) checked", said)
    assert chain is not None, said
    assert int(chain[1]) == int(chain[2]) >= sealed, said  # the head then, or later
    # Sealed on the restored side, the rest joins the same chain and all of it verifies.
    assert wait_until(lambda: seal_and_count(fresh_db) == restored)
    assert main(["audit", "verify", "--db", fresh_db]) == 0
    said = capsys.readouterr().out
    assert f"chain: {restored} sealed, {restored} checked" in said, said
    assert "OK: the entry log is intact" in said, said
    # A second restore over the restored database is refused, never merged.
    with pytest.raises(ConfigError, match=r"not empty|exists"):
        restore(out, fresh_db)


def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "hostile.cgbackup"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_hostile_or_damaged_archives_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    good = tmp_path / "good.cgbackup"
    backup(sqlite_url, good)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    manifest = manifest_of(good)
    cases = {
        "unexpected member": {"manifest.json": b"{}", "../../etc/passwd": b"x"},
        "no manifest": {"database.sqlite": b"x"},
        "not a campusgate": {"manifest.json": b'{"format": "other"}'},
        "not JSON": {"manifest.json": b"\xff" * 10},
        "damaged": {
            "manifest.json": json.dumps(manifest).encode(),
            "database.sqlite": b"not the database",
        },
    }
    for expected, members in cases.items():
        with pytest.raises(ConfigError, match=expected):
            restore(_archive(tmp_path, members), target)
        assert not (tmp_path / "target.db").exists() or (tmp_path / "target.db").stat().st_size == 0
    (tmp_path / "garbage").write_bytes(b"\x1f\x8b" + b"\x00" * 100)
    with pytest.raises(ConfigError, match="cannot read"):
        restore(tmp_path / "garbage", target)
    with pytest.raises(ConfigError, match="exists"):
        backup(sqlite_url, good)  # never over an existing file
    with pytest.raises(ConfigError, match="postgresql"):
        restore(good, "postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_a_folder_gets_a_new_archive_named_by_the_time(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    made = backup(sqlite_url, folder)
    path = Path(str(made["path"]))
    assert path.parent == folder
    assert path.name.startswith("campusgate-")
    assert path.suffix == ".cgbackup"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    restore(path, f"sqlite:///{tmp_path / 'again.db'}")
