"""The backup archive: a tar file of known members, each with its SHA-256 in the manifest.

Reading trusts nothing in the file: only the member names below are taken (no
links, no folders, no ``..``), each up to its size limit, streamed to its place
and checked against the manifest's hash before it is used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from kernel.errors import ConfigError

FORMAT = "campusgate-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = ("database.sqlite", "database.pgdump")
KEY_MEMBER = re.compile(r"^keys/(active|version|[a-z0-9]{1,40}\.(key|pub|retire))$")
POLICY_MEMBER = re.compile(r"^policy/[a-z0-9][a-z0-9-]{0,31}\.json$")
MANIFEST_MAX = 1 << 20
KEY_MAX = 64 << 10
POLICY_MAX = 1 << 20
DATABASE_MAX = 1 << 40
CHUNK = 1 << 20


def limit_of(name: str) -> int | None:
    if name == MANIFEST:
        return MANIFEST_MAX
    if name in DATABASE_MEMBERS:
        return DATABASE_MAX
    if KEY_MEMBER.match(name):
        return KEY_MAX
    if POLICY_MEMBER.match(name):
        return POLICY_MAX
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def writer(out: Path) -> Iterator[tarfile.TarFile]:
    """A new archive at ``out``, mode 0600 from its first byte; never over an existing file."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{out} exists: give a new file name") from exc
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        yield tar


def add_file(tar: tarfile.TarFile, name: str, path: Path) -> str:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as handle:
        tar.addfile(info, handle)
    return sha256_file(path)


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> str:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


def members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """The archive's members by name, refusing anything that is not a known plain file."""
    found: dict[str, tarfile.TarInfo] = {}
    for info in tar:
        limit = limit_of(info.name)
        if limit is None or not info.isfile():
            raise ConfigError(f"not a campusgate backup: unexpected member {info.name[:80]!r}")
        if info.size > limit:
            raise ConfigError(f"backup member {info.name} is too large ({info.size} bytes)")
        if info.name in found:
            raise ConfigError(f"backup member {info.name} appears twice")
        found[info.name] = info
    if MANIFEST not in found:
        raise ConfigError("not a campusgate backup: no manifest")
    return found


def read_manifest(tar: tarfile.TarFile, info: tarfile.TarInfo) -> dict[str, Any]:
    data = _open(tar, info).read(MANIFEST_MAX + 1)
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise ConfigError("backup manifest is not JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"not a {FORMAT} archive")
    if not isinstance(manifest.get("files"), dict):
        raise ConfigError("backup manifest lists no files")
    return manifest


def extract(tar: tarfile.TarFile, info: tarfile.TarInfo, dest: Path, expected: str) -> None:
    """Stream one member to ``dest`` (0600, new), then check its hash; removed if it differs."""
    digest = hashlib.sha256()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        source = _open(tar, info)
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected:
        dest.unlink()
        raise ConfigError(f"backup member {info.name} does not match its checksum: damaged")


def _open(tar: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    handle = tar.extractfile(info)
    if handle is None:
        raise ConfigError(f"backup member {info.name} cannot be read")
    return handle
