"""A roster file uploaded from the page: checked first (dry run), then imported.

The upload is copied to a private temporary file with its own extension (CSV or
XLSX; the name the browser sent is used for nothing else) and handed to
``services.roster.import_file`` exactly as the CLI does, so the validation
report (line, column, reason) is the same one.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict

from services.roster.importer import ImportReport, import_file
from services.roster.photo_zip import PhotoSource
from services.roster.xlsx_limits import RosterTooLarge
from services.web.admin.service import id_hasher
from services.web.auth.roles import Principal
from services.web.context import WebContext
from services.web.errors import InvalidInput
from ui.i18n import Lang, say

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a 100,000-row XLSX is about 6 MB
MAX_PHOTOS_BYTES = 2 * 1024**3  # a ZIP of 20,000 phone photos of ~100 KB
CHUNK_BYTES = 1024 * 1024
SUFFIXES = (".csv", ".xlsx", ".xlsm")
MAX_ERRORS_SHOWN = 1000


class RowErrorView(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    column: str
    reason: str


class RosterReportView(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    inserted: int
    updated: int
    unchanged: int
    deactivated: int
    bad_rows: int
    errors: list[RowErrorView]  # the first MAX_ERRORS_SHOWN
    warnings: list[str]
    dry_run: bool
    written: bool
    summary: str


def _view(report: ImportReport, lang: Lang) -> RosterReportView:
    """The import's report in the uploader's language (its problems and summary worded)."""
    return RosterReportView(
        rows=report.rows,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        deactivated=report.deactivated,
        bad_rows=len(report.bad_lines),
        errors=[
            RowErrorView(line=e.line, column=e.column, reason=say(lang, e.reason))
            for e in report.errors[:MAX_ERRORS_SHOWN]
        ],
        warnings=[say(lang, w) for w in report.warnings],
        dry_run=report.dry_run,
        written=report.written,
        summary=report.summary(lang),
    )


def _suffix(filename: str | None) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("bad_roster_file", "send the roster as .csv or .xlsx")
    return suffix


def run_import(
    ctx: WebContext, principal: Principal, path: Path, *, dry_run: bool, sync: bool,
    force: bool = False, photos: Path | None = None,
) -> RosterReportView:  # fmt: skip
    """One import (or dry run) in one transaction, logged under the signed-in user."""
    with ctx.transaction() as session:
        report = import_file(
            path,
            session=session,
            hasher=id_hasher(ctx),
            tz=ctx.tz,
            now=ctx.now(),
            actor=principal.username,
            dry_run=dry_run,
            sync=sync,
            force=force,
            photos=PhotoSource.open(zip_path=photos),  # row paths: refused (folder None)
        )
    return _view(report, principal.lang)


async def _copy(upload: UploadFile, path: Path, limit: int) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise InvalidInput("upload_too_large", f"at most {limit} bytes")
            out.write(chunk)


async def import_upload(
    ctx: WebContext, principal: Principal, upload: UploadFile, *, dry_run: bool, sync: bool,
    force: bool = False, photos: UploadFile | None = None,
) -> RosterReportView:  # fmt: skip
    """Copy the uploads to temporary files (bounded), then import in a worker thread.

    ``photos`` is a ZIP named by person id; a row's own photo path is refused here (a
    server reads no file of its own for an upload)."""
    suffix = _suffix(upload.filename)
    with tempfile.TemporaryDirectory(prefix="cg-roster-") as folder:
        path = Path(folder) / f"roster{suffix}"
        await _copy(upload, path, MAX_UPLOAD_BYTES)
        zipped = Path(folder) / "photos.zip" if photos is not None else None
        if photos is not None and zipped is not None:
            await _copy(photos, zipped, MAX_PHOTOS_BYTES)
        try:
            return await asyncio.to_thread(
                run_import, ctx, principal, path, dry_run=dry_run, sync=sync, force=force,
                photos=zipped,
            )  # fmt: skip
        except RosterTooLarge as exc:
            # Refused before it was read: say what was too large in the user's language.
            raise InvalidInput("roster_too_large", exc.text(principal.lang)) from exc
