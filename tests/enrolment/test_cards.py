"""``campusgate code cards``: real PDFs, rasterised, every QR decoded back and verified.

The decoding is the gate's own: ``devices.code_reader`` (zxing-cpp) on the page
images poppler renders, then the kernel's verifier with the site's keys.
"""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from devices.code_reader.camera.decoders import make_decoder
from kernel.codes import KeyRing, Verifier, load_signing_key
from services.cli.main import main as campusgate
from services.enrolment.cards.fonts import register_font
from services.enrolment.cards.pdf import TEXT_W, fit
from services.storage.engine import make_engine
from services.storage.enrol_models import IssuedCodeRow
from services.storage.models import PersonRow
from tests.fixtures.campus import Campus, make_campus

DPI = 200
HOSTILE = "<b>&amp;</b>(x)\\) Tj王"
LONG_NAME = "欧阳" + "很长的名字" * 39 + "尾"  # 198 characters


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path, site: str) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", site=site)


def pages(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True, timeout=120)  # fmt: skip
    return sorted(tmp_path.glob("p-*.png"))


def decoded(images: list[Path]) -> list[str]:
    decoder = make_decoder("zxing", ["qr"])
    codes: list[str] = []
    for image in images:
        frame = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        found = decoder.decode(frame)
        for code in found:
            assert code.position is not None
            (left, _), (right, _) = code.position[0], code.position[1]
            # The decoder's corners are the finder patterns' outer corners, within a module.
            assert (right - left) * 25.4 / DPI >= 25, "a QR narrower than 25 mm"
        codes += [code.text for code in found]
    return codes


def cards(campus: Campus, db: str, site: str, *args: str) -> int:
    return campusgate(["code", "cards", "--db", db, "--keys", str(campus.keys_dir),
                       "--site", site, "--by", "admin1", *args])  # fmt: skip


def registered(db: str, kid: str) -> dict[str, str]:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            rows = session.execute(select(IssuedCodeRow.jti, IssuedCodeRow.person_id).where(
                IssuedCodeRow.kid == kid, IssuedCodeRow.revoked_at.is_(None)))  # fmt: skip
            return {str(jti): str(person) for jti, person in rows}
    finally:
        engine.dispose()


def add_person(db: str, person_id: str, name: str, unit: str) -> None:
    engine = make_engine(db)
    try:
        with Session(engine) as session, session.begin():
            session.add(PersonRow(
                person_id=person_id, name=name, kind="student", unit=unit,
                id_hash=hashlib.sha256(person_id.encode()).hexdigest(), id_last4="1234",
                household=None, gates="*", active=True, return_approved=True,
                updated_at=datetime.now(UTC),
            ))  # fmt: skip
    finally:
        engine.dispose()


def test_every_card_of_a_unit_prints_and_its_qr_verifies(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    unit = campus.people[0].unit
    people = {p.person_id for p in campus.people if p.unit == unit}
    pdf = tmp_path / "cards.pdf"
    assert cards(campus, sqlite_url, site, "--unit", unit, "--out", str(pdf)) == 0
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    font_line = next(line for line in fonts.stdout.splitlines() if "TrueType" in line)
    assert " yes yes " in font_line  # embedded, subset
    images = pages(pdf, tmp_path)
    assert len(images) == -(-len(people) // 10)
    verifier = Verifier(KeyRing.load(campus.keys_dir), site=site)
    claims = [verifier.verify(code, datetime.now(UTC)) for code in decoded(images)]
    assert sorted(c.sub for c in claims) == sorted(people)
    assert {c.typ for c in claims} == {"id"}
    assert all(c.exp - c.iat == timedelta(days=365) for c in claims)
    assert registered(sqlite_url, campus.key.kid) == {c.jti: c.sub for c in claims}
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    name = next(p.name for p in campus.people if p.unit == unit)
    assert name in text
    assert "校园通行证" in text
    assert "**************" in text  # the ID number masked, never whole


def test_hostile_and_200_character_names_print_literally_and_fit(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    add_person(sqlite_url, f"{site}-h", HOSTILE, "Hostile Unit")
    add_person(sqlite_url, f"{site}-l", LONG_NAME, "Hostile Unit")
    pdf = tmp_path / "hostile.pdf"
    assert cards(campus, sqlite_url, site, "--unit", "Hostile Unit", "--out", str(pdf),
                 "--per-page", "8", "--lang", "en") == 0  # fmt: skip
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert HOSTILE in text  # drawn as characters: nothing interpreted
    assert "欧阳很长的名字" in text
    assert LONG_NAME not in text  # cut with an ellipsis, not overflowing into the QR
    assert "…" in text
    verifier = Verifier(KeyRing.load(campus.keys_dir), site=site)
    subs = {verifier.verify(c, datetime.now(UTC)).sub for c in decoded(pages(pdf, tmp_path))}
    assert subs == {f"{site}-h", f"{site}-l"}


@settings(deadline=None)  # the first example loads the font (a 17 MB file)
@given(st.text(max_size=300), st.sampled_from([7.0, 8.0, 13.0]))
def test_fitted_text_never_exceeds_its_box(text: str, size: float) -> None:
    font = register_font()
    shown, used = fit(text, font, size, TEXT_W, min_size=min(size, 9))
    assert stringWidth(shown, font, used) <= TEXT_W
    assert "\n" not in shown


def test_a_person_id_with_a_slash_or_unknown_is_refused_and_nothing_is_written(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    pdf = tmp_path / "none.pdf"
    known = campus.people[0].person_id
    assert cards(campus, sqlite_url, site, "--person", known, "../x/y", "--out", str(pdf)) == 2
    assert "'../x/y'" in capsys.readouterr().err
    assert not pdf.exists()
    assert list(tmp_path.glob(".*tmp")) == []
    assert registered(sqlite_url, campus.key.kid) == {}
    assert cards(campus, sqlite_url, site, "--unit", "No Such Unit", "--out", str(pdf)) == 2
    assert "nobody selected" in capsys.readouterr().err


def test_png_cards_one_per_person_named_safely(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    add_person(sqlite_url, "a/b", "斜杠", "Slash Unit")
    out = tmp_path / "png"
    chosen = [campus.people[1].person_id, "a/b"]
    assert cards(campus, sqlite_url, site, "--person", *chosen, "--png", str(out)) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f"{chosen[0]}.png", "a%2Fb.png"])
    verifier = Verifier(KeyRing.load(campus.keys_dir), site=site)
    subs = set()
    for name in files:
        [code] = decoded([out / name])
        subs.add(verifier.verify(code, datetime.now(UTC)).sub)
    assert subs == set(chosen)


def test_reissue_from_a_key_reprints_exactly_its_holders_then_it_retires(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    old = campus.key.kid
    first = [p.person_id for p in campus.people[:3]]
    first_pdf = str(tmp_path / "a.pdf")
    assert cards(campus, sqlite_url, site, "--person", *first, "--out", first_pdf) == 0
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    new = load_signing_key(campus.keys_dir).kid
    retire = ["keys", "retire", "--db", sqlite_url, "--dir", str(campus.keys_dir), "--kid", old]
    assert campusgate(retire) == 2
    again = tmp_path / "again.pdf"
    assert cards(campus, sqlite_url, site, "--reissue-from", old, "--out", str(again)) == 0
    (tmp_path / "r").mkdir()
    codes = decoded(pages(again, tmp_path / "r"))
    verifier = Verifier(KeyRing.load(campus.keys_dir), site=site)
    claims = [verifier.verify(code, datetime.now(UTC)) for code in codes]
    assert sorted(c.sub for c in claims) == sorted(first)
    assert {c.kid for c in claims} == {new}
    capsys.readouterr()
    assert campusgate(retire) == 0  # the old cards are superseded: nothing live is cut
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            total = session.scalar(select(func.count()).select_from(IssuedCodeRow))
    finally:
        engine.dispose()
    assert total == 6


def run_cards_process(campus: Campus, db: str, site: str, out: Path, stderr: int) -> int:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "code", "cards", "--db", db, "--keys",
         str(campus.keys_dir), "--site", site, "--out", str(out)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, timeout=120,
        cwd=Path(__file__).resolve().parents[2], check=False,
    ).returncode  # fmt: skip


def test_the_progress_bar_is_drawn_on_a_terminal_and_not_into_a_pipe(
    campus: Campus, sqlite_url: str, site: str, tmp_path: Path
) -> None:
    primary, secondary = pty.openpty()
    try:
        assert run_cards_process(campus, sqlite_url, site, tmp_path / "t.pdf", secondary) == 0
        os.close(secondary)
        secondary = -1
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal's other end is closed: all of it was read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if secondary != -1:
            os.close(secondary)
        os.close(primary)
    assert b"cards [" in seen
    assert f"{len(campus.people)}/{len(campus.people)}".encode() in seen
    piped = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "code", "cards", "--db", sqlite_url,
         "--keys", str(campus.keys_dir), "--site", site, "--out", str(tmp_path / "p.pdf")],
        capture_output=True, text=True, timeout=120, check=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert "cards [" not in piped.stderr
    assert "30 card(s)" in piped.stdout
