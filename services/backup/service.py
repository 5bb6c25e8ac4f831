"""``backup`` and ``restore``: one site's database, signing keys and policy in force.

The manifest records what a restore needs to trust the copy: the schema revision,
the entry count and the hash chain's head at the time of the backup, and each
member's SHA-256.  A restore goes only into a new, empty database (and a new
keys folder); afterwards ``campusgate audit verify`` proves the chain.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kernel.errors import ConfigError
from services.audit.chain import chain_head
from services.backup import archive, databases
from services.policy.store import stored_policy
from services.storage.engine import make_engine
from services.storage.models import EntryRow, PolicyVersionRow


def _facts(db_url: str) -> dict[str, Any]:
    """What the manifest says about the database, and the policies to keep beside it."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            head = chain_head(session=session)
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            sites = session.scalars(select(PolicyVersionRow.site).distinct()).all()
            policies = {s: p.model_dump(mode="json") for s in sites
                        if (p := stored_policy(session=session, site=s)) is not None}  # fmt: skip
            entries = session.scalar(select(func.count()).select_from(EntryRow)) or 0
    finally:
        engine.dispose()
    return {"revision": revision, "entries": entries, "chain_head": head.anchor(),
            "policies": policies}  # fmt: skip


def archive_path(out: Path, now: datetime) -> Path:
    """``out`` itself, or in a folder a new name with the time (a daily job's ``--out DIR``)."""
    if out.is_dir():
        return out / f"campusgate-{now:%Y%m%dT%H%M%SZ}.cgbackup"
    return out


def backup(db_url: str, out: Path, *, keys_dir: Path | None = None) -> dict[str, Any]:
    """Write ``out`` (0600, new; in a folder: a new file named by the time); its manifest,
    with ``path`` where it went."""
    backend = databases.kind(db_url)
    out = archive_path(out, datetime.now(UTC))
    facts = _facts(db_url)  # before the copy: the copy holds at least this much
    files: dict[str, str] = {}
    with (
        tempfile.TemporaryDirectory(prefix="campusgate-backup-") as tmp,
        archive.writer(out) as tar,
    ):
        name = "database.sqlite" if backend == "sqlite" else "database.pgdump"
        copy = Path(tmp) / name
        if backend == "sqlite":
            databases.sqlite_backup(db_url, copy)
        else:
            databases.pg_dump(db_url, copy)
        files[name] = archive.add_file(tar, name, copy)
        if keys_dir is not None:
            for path in sorted(keys_dir.iterdir()):
                member = f"keys/{path.name}"
                if path.is_file() and archive.KEY_MEMBER.match(member):
                    files[member] = archive.add_file(tar, member, path)
        for site, policy in facts.pop("policies").items():
            data = json.dumps(policy, ensure_ascii=False, indent=2).encode()
            files[f"policy/{site}.json"] = archive.add_bytes(tar, f"policy/{site}.json", data)
        manifest = {"format": archive.FORMAT, "created_at": datetime.now(UTC).isoformat(),
                    "database": backend, **facts, "files": files}  # fmt: skip
        archive.add_bytes(tar, archive.MANIFEST, json.dumps(manifest, indent=2).encode())
    return {**manifest, "path": str(out)}


def restore(source: Path, db_url: str, *, keys_dir: Path | None = None) -> dict[str, Any]:
    """Restore ``source`` into a new, empty database (and keys into a new folder)."""
    backend = databases.kind(db_url)
    if keys_dir is not None and keys_dir.exists() and any(keys_dir.iterdir()):
        raise ConfigError(f"{keys_dir} is not empty: restore the keys into a new folder")
    try:
        with tarfile.open(source, mode="r:gz") as tar:
            return _restore(tar, backend, db_url, keys_dir)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise ConfigError(f"cannot read {source}: {exc}") from exc


def _restore(
    tar: tarfile.TarFile, backend: str, db_url: str, keys_dir: Path | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="campusgate-restore-") as tmp:
        found = archive.members(tar)
        manifest = archive.read_manifest(tar, found[archive.MANIFEST])
        if manifest.get("database") != backend:
            raise ConfigError(f"this backup is of a {manifest.get('database')} database, "
                              f"not {backend}: restore it into one of that kind")  # fmt: skip
        hashes: dict[str, str] = manifest["files"]
        if set(hashes) != set(found) - {archive.MANIFEST}:
            raise ConfigError("the backup's members are not the ones its manifest lists")
        name = "database.sqlite" if backend == "sqlite" else "database.pgdump"
        copy = Path(tmp) / name
        archive.extract(tar, found[name], copy, hashes[name])
        keys = [m for m in sorted(found) if m.startswith("keys/")]
        if keys and keys_dir is not None:
            keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            for member in keys:
                archive.extract(tar, found[member], keys_dir / member.split("/", 1)[1],
                                hashes[member])  # fmt: skip
        if backend == "sqlite":
            databases.sqlite_restore(copy, db_url)
        else:
            databases.pg_restore(copy, db_url)
    return manifest
