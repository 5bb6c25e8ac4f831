"""Roster photos (issue 15, build 4): real images re-encoded; non-images, oversize files,
decompression bombs, ZIP path escapes and ZIP bombs refused with the file named, nothing
stored; and the import with a ZIP of photos through the command line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.cli.main import main
from services.identity import DEMO_KEY
from services.roster import PhotoInvalid, person_photo
from services.roster.photo_zip import PhotoSource, read_photo_zip
from services.roster.photos import MAX_PHOTO_BYTES, PHOTO_MAX_PX, THUMB_PX, process_photo
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from services.storage.photo_models import PersonPhotoRow
from tests.fixtures.photos import image_bytes, photo_zip, png_claiming

GOOD_ID = "11010519491231002X"
HEADER = "person_id,name,kind,id_number,photo"


def test_a_jpeg_and_a_png_are_re_encoded_without_metadata() -> None:
    for fmt in ("JPEG", "PNG"):
        photo = process_photo(image_bytes(fmt, (1200, 1600)), name=f"x.{fmt}")
        with Image.open(io.BytesIO(photo.image)) as big, Image.open(io.BytesIO(photo.thumb)) as th:
            assert big.format == th.format == "JPEG"
            assert max(big.size) == PHOTO_MAX_PX
            assert max(th.size) == THUMB_PX
            assert not big.info.get("exif")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GIF89a" + b"\0" * 100, "not a JPEG or PNG"),
        (b"%PDF-1.4 not a photo", "not a JPEG or PNG"),
        (image_bytes("JPEG")[:200], "damaged"),
        (b"", "empty"),
        (b"\xff\xd8" + b"\0" * (MAX_PHOTO_BYTES + 1), "over the"),
        (png_claiming(100_000, 100_000), "too large"),
    ],
    ids=["gif", "pdf", "truncated", "empty", "oversize", "bomb"],
)
def test_what_is_not_a_photo_is_refused_by_name(data: bytes, words: str) -> None:
    with pytest.raises(PhotoInvalid, match=words) as caught:
        process_photo(data, name="S1.jpg")
    assert str(caught.value).startswith("S1.jpg")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_are_a_photo_or_a_photo_invalid(data: bytes) -> None:
    try:
        photo = process_photo(data)
    except PhotoInvalid:
        return
    assert photo.image.startswith(b"\xff\xd8")  # whatever passed is our own JPEG


@pytest.mark.parametrize("name", ["../S1.jpg", "/etc/S1.jpg", "a/../../S1.jpg", "C:\\S1.jpg"])
def test_a_zip_entry_outside_its_folder_refuses_the_archive(tmp_path: Path, name: str) -> None:
    archive = photo_zip(tmp_path / "photos.zip", {"S2.jpg": image_bytes(), name: image_bytes()})
    with pytest.raises(PhotoInvalid, match="outside the archive") as caught:
        read_photo_zip(archive)
    assert "photos.zip" in str(caught.value)


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = photo_zip(tmp_path / "bomb.zip", {"S1.jpg": b"\xff\xd8" + b"\0" * (4 * 2**20)})
    with pytest.raises(PhotoInvalid, match="zip bomb"):
        read_photo_zip(archive)
    big = photo_zip(tmp_path / "big.zip", {"S1.jpg": b"\0" * (MAX_PHOTO_BYTES + 10)})
    with pytest.raises(PhotoInvalid, match="over the limit"):
        read_photo_zip(big)


def test_a_lying_size_header_stops_at_the_cap(tmp_path: Path) -> None:
    path = photo_zip(tmp_path / "liar.zip", {"S1.jpg": b"\0" * (6 * 2**20)})
    raw = bytearray(path.read_bytes())
    # Shrink the sizes both headers announce; the deflated stream still holds 6 MB.
    for marker, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(marker) + offset
        raw[at : at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(PhotoInvalid):
        read_photo_zip(path)


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "photos.zip").write_bytes(b"no archive here")
    with pytest.raises(PhotoInvalid, match="not a ZIP"):
        read_photo_zip(tmp_path / "photos.zip")


def test_a_row_path_outside_the_roster_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.jpg").write_bytes(image_bytes())
    folder = tmp_path / "roster"
    folder.mkdir()
    source = PhotoSource(folder=folder)
    for cell in ("../secret.jpg", str(tmp_path / "secret.jpg")):
        with pytest.raises(PhotoInvalid, match="outside"):
            source.for_row("S1", cell)
    with pytest.raises(PhotoInvalid, match="command line"):
        PhotoSource().for_row("S1", "S1.jpg")


def counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            people = session.scalar(select(func.count()).select_from(PersonRow)) or 0
            photos = session.scalar(select(func.count()).select_from(PersonPhotoRow)) or 0
            return people, photos
    finally:
        engine.dispose()


def cli_import(db_url: str, roster: Path, *extra: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("CAMPUSGATE_ID_HASH_KEY", DEMO_KEY.hex())
    return main(["roster", "import", str(roster), "--db", db_url, "--demo-key", *extra])


def test_import_with_a_zip_of_photos_and_a_row_path(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "roster.csv"
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "c.png").write_bytes(image_bytes("PNG"))
    roster.write_text(f"{HEADER}\nS1,A,student,{GOOD_ID},\nS2,B,student,{GOOD_ID},\n"
                      f"S3,C,student,{GOOD_ID},pics/c.png\n")  # fmt: skip
    archive = photo_zip(tmp_path / "photos.zip", {"2026/S1.jpg": image_bytes(),
                                                  "S2.PNG": image_bytes("PNG")})  # fmt: skip
    assert cli_import(db_url, roster, "--photos", str(archive), monkeypatch=monkeypatch) == 0
    assert counts(db_url) == (3, 3)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            stored = person_photo(session, "S1")
            assert stored is not None
            assert stored.startswith(b"\xff\xd8")
            assert person_photo(session, "nobody") is None
    finally:
        engine.dispose()


def test_a_bad_photo_is_a_bad_row_and_a_bad_zip_stops_everything(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(f"{HEADER}\nS1,A,student,{GOOD_ID},\nS2,B,student,{GOOD_ID},\n")
    bad = photo_zip(tmp_path / "bad.zip", {"S1.jpg": b"not an image", "S2.jpg": image_bytes()})
    assert cli_import(db_url, roster, "--photos", str(bad), monkeypatch=monkeypatch) == 1
    assert counts(db_url) == (1, 1)  # S2 and its photo; S1's row is bad
    escape = photo_zip(tmp_path / "escape.zip", {"../S1.jpg": image_bytes()})
    roster.write_text(f"{HEADER}\nS9,Z,student,{GOOD_ID},\n")
    assert cli_import(db_url, roster, "--photos", str(escape), monkeypatch=monkeypatch) == 2
    assert counts(db_url) == (1, 1)  # nothing of that import stored


def test_sync_refuses_to_deactivate_more_than_a_tenth_without_force(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    rows = [f"S{i},P{i},student,{GOOD_ID}," for i in range(20)]
    roster.write_text("\n".join([HEADER, *rows]) + "\n")
    assert cli_import(db_url, roster, monkeypatch=monkeypatch) == 0
    roster.write_text("\n".join([HEADER, *rows[:15]]) + "\n")  # a file cut off
    assert cli_import(db_url, roster, "--sync", monkeypatch=monkeypatch) == 2
    assert "5 of 20" in capsys.readouterr().err
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).where(PersonRow.active)) == 20
        roster.write_text("\n".join([HEADER, *rows[:18]]) + "\n")  # 2 of 20: allowed
        assert cli_import(db_url, roster, "--sync", monkeypatch=monkeypatch) == 0
        roster.write_text(HEADER + "\n")  # empty: with --force only
        assert cli_import(db_url, roster, "--sync", monkeypatch=monkeypatch) == 2
        assert cli_import(db_url, roster, "--sync", "--force", monkeypatch=monkeypatch) == 0
        with Session(engine) as session:
            assert session.scalar(select(func.count()).where(PersonRow.active)) == 0
    finally:
        engine.dispose()


def test_zip_entries_are_never_extracted(tmp_path: Path) -> None:
    archive = photo_zip(tmp_path / "p.zip", {"S1.jpg": image_bytes()})
    found = read_photo_zip(archive)
    assert set(found) == {"S1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.zip"]
    with zipfile.ZipFile(archive) as z:
        assert z.namelist() == ["S1.jpg"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000))
def test_any_file_as_a_zip_is_read_or_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.zip"
    path.write_bytes(data)
    try:
        found = read_photo_zip(path)
    except PhotoInvalid:
        return
    assert all(len(data) <= MAX_PHOTO_BYTES for _, data in found.values())


# zipfile itself cannot write a name that is empty up to its first NUL (it cuts there).
ZIP_NAMES = st.text(min_size=1, max_size=30).filter(lambda name: name.split("\x00")[0] != "")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ZIP_NAMES, min_size=1, max_size=5, unique=True))
def test_entry_names_never_escape(tmp_path: Path, names: list[str]) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in names:
            out.writestr(name, b"\xff\xd8 not really")
    try:
        found = read_photo_zip(archive)
    except PhotoInvalid:
        return
    for entry, _data in found.values():
        assert ".." not in Path(entry.replace("\\", "/")).parts
        assert not entry.startswith("/")
