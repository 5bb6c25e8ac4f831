"""A ZIP of photos named by person id (``S00001.jpg``), read without trusting it.

Refused whole, before anything is stored, with the file and entry named: an entry
whose path leaves the archive's folder (``../x.jpg``, ``/etc/x.jpg``, ``C:\\x``),
more than :data:`MAX_ENTRIES` entries, an entry whose size announced or real is
over the photo limit, a total over :data:`MAX_TOTAL_BYTES`, or an entry that
expands more than :data:`MAX_RATIO` times (a zip bomb).  Entries are read with a
cap, so a lying size header stops at the limit too.  Folders inside the archive
are allowed; the person id is the file name without its extension.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from services.roster.photos import MAX_PHOTO_BYTES, PhotoInvalid

MAX_ENTRIES = 100_000
MAX_TOTAL_BYTES = 4 * 2**30
MAX_RATIO = 100  # JPEG and PNG hardly compress: 100 x is a bomb, not a photo
SUFFIXES = (".jpg", ".jpeg", ".png")
READ_CHUNK = 64 * 1024


def _safe_member(name: str, archive: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in name or name.startswith("/"):
        raise PhotoInvalid(f"{archive}: entry {name!r} points outside the archive's folder")
    return path


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(READ_CHUNK):
            size += len(chunk)
            if size > MAX_PHOTO_BYTES:
                raise PhotoInvalid(f"{label}: over the {MAX_PHOTO_BYTES} bytes allowed")
            if size > MAX_RATIO * max(info.compress_size, 1) + READ_CHUNK:
                raise PhotoInvalid(f"{label}: expands {MAX_RATIO}+ times (a zip bomb?)")
            chunks.append(chunk)
    return b"".join(chunks)


def read_photo_zip(path: Path) -> dict[str, tuple[str, bytes]]:
    """person id -> (entry name, file bytes) for every photo in the archive at ``path``."""
    archive_name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PhotoInvalid(f"{archive_name}: not a ZIP file ({exc})") from exc
    found: dict[str, tuple[str, bytes]] = {}
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PhotoInvalid(f"{archive_name}: {len(infos)} entries (at most {MAX_ENTRIES})")
        for info in infos:  # every path is checked before anything is read
            _safe_member(info.filename, archive_name)
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise PhotoInvalid(f"{archive_name}: more than {MAX_TOTAL_BYTES} bytes unpacked")
        for info in infos:
            member = _safe_member(info.filename, archive_name)
            if info.is_dir() or member.suffix.lower() not in SUFFIXES:
                continue
            if member.name.startswith("."):  # macOS's ._S00001.jpg and the like
                continue
            label = f"{archive_name}: {info.filename}"
            if info.file_size > MAX_PHOTO_BYTES:
                raise PhotoInvalid(f"{label}: {info.file_size} bytes is over the limit")
            person_id = member.stem
            if person_id in found:
                raise PhotoInvalid(f"{label}: a second photo of {person_id!r}")
            try:
                found[person_id] = (info.filename, _read_capped(archive, info, label))
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
                raise PhotoInvalid(f"{label}: damaged entry ({exc})") from exc
    return found


@dataclass
class PhotoSource:
    """Where an import finds photos: a ZIP by person id, and/or paths relative to a folder.

    ``folder`` is the roster file's own folder (the CLI); None refuses every path a
    row names (the web: a server must not read its own files for an upload).
    """

    by_person: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    folder: Path | None = None

    @classmethod
    def open(cls, *, zip_path: Path | None = None, folder: Path | None = None) -> PhotoSource:
        return cls(read_photo_zip(zip_path) if zip_path else {}, folder)

    def for_row(self, person_id: str, path_cell: str | None) -> tuple[str, bytes] | None:
        """(label, bytes) of the row's photo, None without one; PhotoInvalid for a bad one."""
        if path_cell:
            return self._from_path(path_cell)
        return self.by_person.get(person_id)

    def _from_path(self, cell: str) -> tuple[str, bytes]:
        if self.folder is None:
            raise PhotoInvalid(f"{cell}: photo paths are read only from the command line")
        base = self.folder.resolve()
        target = (base / cell).resolve()
        if not target.is_relative_to(base) or PurePosixPath(cell).is_absolute():
            raise PhotoInvalid(f"{cell}: outside the roster file's folder")
        try:
            with target.open("rb") as stream:
                data = stream.read(MAX_PHOTO_BYTES + 1)
        except OSError as exc:
            raise PhotoInvalid(f"{cell}: cannot be read ({exc.strerror})") from exc
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoInvalid(f"{cell}: over the {MAX_PHOTO_BYTES} bytes allowed")
        return cell, data
